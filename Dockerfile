# Faultline's production image: `docker compose up` (compose.yaml) runs two of these on PostgreSQL.
FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles on install (SQLite stays the default engine, and db:copy reads it).
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
COPY --from=build --chown=node:node /app /app
USER node
EXPOSE 3000
# The same check the proxy and the orchestrator rely on: the database answers a read.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:3000/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# SIGTERM: stop accepting, finish in-flight requests (their commits included), exit.
STOPSIGNAL SIGTERM
CMD ["node", "scripts/start.mjs"]
