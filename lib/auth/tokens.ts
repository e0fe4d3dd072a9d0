import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { getEngine } from "@/db/client";
import { NotFoundError } from "@/lib/http/errors";
import { parseInput } from "@/lib/validate";
import { appendAudit, type Actor } from "./audit";
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
export async function createApiToken(input: unknown, by: { actor: Actor; ip: string | null; now?: number }): Promise<{ token: string; summary: TokenSummary }> {
  const { userId, name } = parseInput(newTokenSchema, input);
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
  const prefix = token.slice(0, TOKEN_PREFIX.length + 6);
  const now = by.now ?? Date.now();
  return getEngine().transaction(async (tx) => {
    const owner = await tx.one<{ email: string }>("SELECT email FROM users WHERE id = ?", [userId]);
    if (!owner) throw new NotFoundError(`No user with id ${userId}.`, [{ path: "userId", message: "no such user" }]);
    const row = await tx.one<{ id: number }>(
      "INSERT INTO api_tokens (name, token_hash, prefix, user_id, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
      [name, hashToken(token), prefix, userId, by.actor.id, now],
    );
    const id = row!.id;
    await appendAudit(tx, { actor: by.actor, action: "token_created", target: `token #${id} "${name}"`, detail: `acts as ${owner.email}`, ip: by.ip, at: now });
    return { token, summary: { id, name, prefix, ownerId: userId, ownerEmail: owner.email, createdAt: iso(now)!, lastUsedAt: null, revokedAt: null } };
  });
}

interface TokenRow {
  id: number;
  name: string;
  prefix: string;
  user_id: string;
  owner_email: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

/** Every token, newest first, with its owner's address. */
export async function listApiTokens(): Promise<TokenSummary[]> {
  const rows = await getEngine().query<TokenRow>(
    `SELECT t.id, t.name, t.prefix, t.user_id, u.email AS owner_email, t.created_at, t.last_used_at, t.revoked_at
     FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.id DESC`,
  );
  return rows.map((t) => ({
    id: t.id,
    name: t.name,
    prefix: t.prefix,
    ownerId: t.user_id,
    ownerEmail: t.owner_email,
    createdAt: iso(t.created_at)!,
    lastUsedAt: iso(t.last_used_at),
    revokedAt: iso(t.revoked_at),
  }));
}

/** Revokes a token for good. Revoking a revoked token changes nothing; NotFoundError if unknown. */
export async function revokeApiToken(id: number, by: { actor: Actor; ip: string | null; now?: number }): Promise<void> {
  const now = by.now ?? Date.now();
  await getEngine().transaction(async (tx) => {
    const revoked = await tx.one<{ name: string }>("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING name", [now, id]);
    if (revoked) {
      await appendAudit(tx, { actor: by.actor, action: "token_revoked", target: `token #${id} "${revoked.name}"`, ip: by.ip, at: now });
    } else if (!(await tx.one("SELECT 1 AS found FROM api_tokens WHERE id = ?", [id]))) {
      throw new NotFoundError(`No API token with id ${id}.`);
    }
  });
}

export interface TokenUser {
  id: string;
  email: string;
  name: string;
  role: Role;
}

/** The user a presented token acts as; null for an unknown or revoked token or a disabled owner. */
export async function authenticateApiToken(token: string, now = Date.now()): Promise<TokenUser | null> {
  if (!token.startsWith(TOKEN_PREFIX)) return null;
  const engine = getEngine();
  const row = await engine.one<{ token_id: number; id: string; email: string; name: string; role: Role; disabled: number }>(
    `SELECT t.id AS token_id, u.id, u.email, u.name, u.role, u.disabled
     FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? AND t.revoked_at IS NULL`,
    [hashToken(token)],
  );
  if (!row || row.disabled) return null;
  await engine.exec("UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)", [now, row.token_id, now - LAST_USED_RESOLUTION_MS]);
  return { id: row.id, email: row.email, name: row.name, role: row.role };
}
