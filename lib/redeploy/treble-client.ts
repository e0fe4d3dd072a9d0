import type { TrebleUser } from "./payload";

/** What one call to `POST /deployment/api/poll/{poll_id}` came to. */
export type CallOutcome =
  | { kind: "accepted"; status: number; id: string | null; batchId: string | null; conversationsId: string[]; message: string | null }
  /** Treble answered an error: it did not take the batch. */
  | { kind: "refused"; status: number; message: string; retryAfterMs: number | null }
  /** Nothing reached Treble (connection refused, name not found): safe to try again. */
  | { kind: "unreachable"; message: string }
  /** The request may have reached Treble but no answer came (timeout, connection reset). */
  | { kind: "no_answer"; message: string };

const NOT_SENT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

function retryAfterMs(header: string | null, now: number): number | null {
  if (!header) return null;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

const asString = (v: unknown) => (typeof v === "string" ? v : typeof v === "number" ? String(v) : null);

/**
 * One call to Treble's deployment API, exactly as documented: the raw API key as Authorization
 * (no "Bearer"), `{"users":[…]}` as JSON. Never throws; the caller records the outcome.
 */
export async function deployToPoll(apiUrl: string, apiKey: string, pollId: string, users: TrebleUser[], timeoutMs: number): Promise<CallOutcome> {
  let response: Response;
  try {
    response = await fetch(`${apiUrl}/deployment/api/poll/${encodeURIComponent(pollId)}`, {
      method: "POST",
      headers: { Authorization: apiKey, "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ users }),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: "error",
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    if (cause?.code && NOT_SENT_CODES.has(cause.code)) return { kind: "unreachable", message: `Treble's API could not be reached (${cause.code}).` };
    if ((err as Error).name === "TimeoutError") return { kind: "no_answer", message: `Treble did not answer within ${Math.round(timeoutMs / 1000)} s.` };
    return { kind: "no_answer", message: `The call to Treble broke off (${cause?.code ?? (err as Error).message}).` };
  }
  let text = "";
  try {
    text = await response.text();
  } catch {
    // The status line arrived; a body cut short does not change what the status says.
  }
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
  } catch {
    // Not JSON (a proxy's error page): the status alone decides.
  }
  if (response.ok) {
    return {
      kind: "accepted",
      status: response.status,
      id: asString(body.id),
      batchId: asString(body.batch_id),
      conversationsId: Array.isArray(body.conversations_id) ? body.conversations_id.map((c) => String(c)) : [],
      message: asString(body.message),
    };
  }
  const said = [asString(body.error), asString(body.message)].filter(Boolean).join(": ") || text.slice(0, 200) || response.statusText;
  return { kind: "refused", status: response.status, message: said, retryAfterMs: retryAfterMs(response.headers.get("retry-after"), Date.now()) };
}
