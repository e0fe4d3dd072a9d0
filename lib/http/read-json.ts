import { InvalidInputError } from "./errors";
import { readWebBody } from "./read-web-body";

/** Settings forms send small bodies; anything larger is not one of ours. */
const MAX_JSON_BYTES = 64 * 1024;

/** A request's JSON object body (an empty body reads as {}); InvalidInputError for anything else. */
export async function readJsonObject(request: Request): Promise<Record<string, unknown>> {
  const text = Buffer.from(await readWebBody(request, MAX_JSON_BYTES)).toString("utf8");
  if (text.trim() === "") return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new InvalidInputError("The body must be JSON.", undefined, "invalid_json");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new InvalidInputError("The body must be a JSON object.", undefined, "invalid_json");
  }
  return body as Record<string, unknown>;
}
