import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

/** Debian's nginx (`.ci/run` installs it when missing). */
export const NGINX = "/usr/sbin/nginx";

export interface NginxProcess {
  origin: string;
  child: ChildProcess;
  /** nginx's error log so far, for failure messages. */
  errors(): string;
  stop(): Promise<void>;
}

/**
 * Runs nginx in the foreground with `serverConf` (a config as deploy/nginx.conf: upstreams and
 * servers, for nginx's `http` block) in `dir`, its temp files and logs there too. Each answer
 * carries `X-Upstream` (the instance that served it) for the test to see where requests went.
 */
export async function startNginx(serverConf: string, port: number, dir: string): Promise<NginxProcess> {
  fs.mkdirSync(dir, { recursive: true });
  // nginx's workers run as nobody when started as root: they write request bodies under `dir`.
  fs.chmodSync(dir, 0o777);
  fs.writeFileSync(path.join(dir, "faultline.conf"), serverConf);
  const errorLog = path.join(dir, "error.log");
  fs.writeFileSync(
    path.join(dir, "nginx.conf"),
    `daemon off;
pid ${path.join(dir, "nginx.pid")};
error_log ${errorLog} warn;
worker_processes 1;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${path.join(dir, "body")};
  proxy_temp_path ${path.join(dir, "proxy")};
  fastcgi_temp_path ${path.join(dir, "fastcgi")};
  uwsgi_temp_path ${path.join(dir, "uwsgi")};
  scgi_temp_path ${path.join(dir, "scgi")};
  add_header X-Upstream $upstream_addr always;
  include ${path.join(dir, "faultline.conf")};
}
`,
  );
  const child = spawn(NGINX, ["-p", dir, "-c", path.join(dir, "nginx.conf"), "-e", errorLog], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const errors = () => `${stderr}${fs.existsSync(errorLog) ? fs.readFileSync(errorLog, "utf8") : ""}`;
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited at start:\n${errors()}`);
    if (await fetch(`${origin}/api/health`).then(() => true, () => false)) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`nginx did not answer within 10 s:\n${errors()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    origin,
    child,
    errors,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGQUIT");
      await exited;
    },
  };
}
