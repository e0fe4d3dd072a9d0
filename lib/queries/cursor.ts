import { InvalidInputError } from "@/lib/http/errors";

/**
 * Keyset cursors: the sort key of a page's last row, as opaque base64url JSON. `isValid` checks
 * the decoded key has the shape the list's sort expects.
 */
export function encodeCursor(key: ReadonlyArray<string | number>): string {
  return Buffer.from(JSON.stringify(key)).toString("base64url");
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
