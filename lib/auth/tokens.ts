import { createHash, randomBytes } from "node:crypto";
import { and, desc, eq, isNull, lt, or } from "drizzle-orm";
import { z } from "zod";
import { getDb, type Db } from "@/db/client";
import { apiTokens, users } from "@/db/schema";
import { NotFoundError } from "@/lib/http/errors";
import { parseInput } from "@/lib/validate";
import { recordAudit, type Actor } from "./audit";
import type { Role } from "./roles";

/** Recognisable in logs and secret scanners; the rest is 256 random bits. */
export const TOKEN_PREFIX = "flt_";
/** last_used_at is written at most this often per token, so a busy script does not write per request. */
export const LAST_USED_RESOLUTION_MS = 60_000;

const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

export interface TokenSummary {
  id: number;
  name: string;
  prefix: string;
  ownerId: string;
  ownerEmail: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const newTokenSchema = z.object({
  userId: z.string().min(1, "is required"),
  name: z.string().trim().min(1, "is required").max(100, "must be at most 100 characters"),
});

/**
 * Creates an API token acting as `userId` (with that user's role). The token itself is returned
 * only here, once; the database keeps its hash.
 */
export function createApiToken(db: Db, input: unknown, by: { actor: Actor; ip: string | null; now?: number }): { token: string; summary: TokenSummary } {
  const { userId, name } = parseInput(newTokenSchema, input);
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
  const now = by.now ?? Date.now();
  return db.transaction((tx) => {
    const owner = tx.select({ email: users.email }).from(users).where(eq(users.id, userId)).get();
    if (!owner) throw new NotFoundError(`No user with id ${userId}.`, [{ path: "userId", message: "no such user" }]);
    const row = tx
      .insert(apiTokens)
      .values({ name, tokenHash: hashToken(token), prefix: token.slice(0, TOKEN_PREFIX.length + 6), userId, createdBy: by.actor.id, createdAt: now })
      .returning()
      .get();
    recordAudit(tx, { actor: by.actor, action: "token_created", target: `token #${row.id} "${name}"`, detail: `acts as ${owner.email}`, ip: by.ip, at: now });
    return { token, summary: { id: row.id, name, prefix: row.prefix, ownerId: userId, ownerEmail: owner.email, createdAt: iso(now)!, lastUsedAt: null, revokedAt: null } };
  });
}

export function listApiTokens(db: Db = getDb().db): TokenSummary[] {
  return db
    .select({ token: apiTokens, ownerEmail: users.email })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .orderBy(desc(apiTokens.id))
    .all()
    .map(({ token: t, ownerEmail }) => ({
      id: t.id,
      name: t.name,
      prefix: t.prefix,
      ownerId: t.userId,
      ownerEmail,
      createdAt: iso(t.createdAt)!,
      lastUsedAt: iso(t.lastUsedAt),
      revokedAt: iso(t.revokedAt),
    }));
}

/** Revokes a token for good. Revoking a revoked token changes nothing; NotFoundError if unknown. */
export function revokeApiToken(db: Db, id: number, by: { actor: Actor; ip: string | null; now?: number }): void {
  const now = by.now ?? Date.now();
  db.transaction((tx) => {
    const row = tx.select().from(apiTokens).where(eq(apiTokens.id, id)).get();
    if (!row) throw new NotFoundError(`No API token with id ${id}.`);
    if (row.revokedAt !== null) return;
    tx.update(apiTokens).set({ revokedAt: now }).where(eq(apiTokens.id, id)).run();
    recordAudit(tx, { actor: by.actor, action: "token_revoked", target: `token #${id} "${row.name}"`, ip: by.ip, at: now });
  });
}

export interface TokenUser {
  id: string;
  email: string;
  name: string;
  role: Role;
}

/** The user a presented token acts as; null for an unknown or revoked token or a disabled owner. */
export function authenticateApiToken(db: Db, token: string, now = Date.now()): TokenUser | null {
  if (!token.startsWith(TOKEN_PREFIX)) return null;
  const row = db
    .select({ id: apiTokens.id, user: { id: users.id, email: users.email, name: users.name, role: users.role, disabled: users.disabled } })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(and(eq(apiTokens.tokenHash, hashToken(token)), isNull(apiTokens.revokedAt)))
    .get();
  if (!row || row.user.disabled) return null;
  db.update(apiTokens)
    .set({ lastUsedAt: now })
    .where(and(eq(apiTokens.id, row.id), or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, now - LAST_USED_RESOLUTION_MS))))
    .run();
  return { id: row.user.id, email: row.user.email, name: row.user.name, role: row.user.role };
}
