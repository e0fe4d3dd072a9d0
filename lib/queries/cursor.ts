import { InvalidInputError } from "@/lib/http/errors";

/**
 * Keyset cursors: the sort key of a page's last row, as opaque base64url JSON. `isValid` checks
 * the decoded key has the shape the list's sort expects.
 */
export function encodeCursor(key: ReadonlyArray<string | number>): string {
  return Buffer.from(JSON.stringify(key)).toString("base64url");
}

/**
 * One page of a keyset list read with `LIMIT limit + 1` (the extra row only says there is more):
 * its first `limit` rows and the cursor after the last of them, null on the last page.
 */
export function keysetPage<Row>(rows: Row[], limit: number, keyOf: (row: Row) => ReadonlyArray<string | number>): { rows: Row[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  return { rows: page, nextCursor: rows.length > limit ? encodeCursor(keyOf(page.at(-1)!)) : null };
}

export function decodeCursor<Key extends Array<string | number>>(cursor: string, isValid: (key: unknown[]) => boolean): Key {
  try {
    const key = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (Array.isArray(key) && isValid(key)) return key as Key;
  } catch {
    // fall through to the error below
  }
  throw new InvalidInputError("cursor is not valid for this list and sort", [{ path: "cursor", message: "invalid cursor" }]);
}
