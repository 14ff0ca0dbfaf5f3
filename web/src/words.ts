// Errors as a person reads them: what was being done, then what the server said (Graph's own
// message from the error body), or that it could not be reached.
import { GraphRequestError, NetworkError, SourceChangedError, TaskdropError, isAbortError } from "../../src/client/index.js";

/** Graph's message for a failed request: innerError.message where To Do nests it, else error.message. */
function graphMessage(e: GraphRequestError): string {
  const err = (e.body as { error?: { message?: unknown; innerError?: { message?: unknown } } } | undefined)?.error;
  const inner = typeof err?.innerError?.message === "string" ? err.innerError.message : undefined;
  const outer = typeof err?.message === "string" ? err.message : undefined;
  return inner ?? outer ?? `The server answered ${e.status}.`;
}

export function inWords(e: unknown, doing: string): string {
  if (isAbortError(e)) return `${doing}: stopped.`;
  if (e instanceof GraphRequestError) {
    if (e.status === 401) return `${doing}: your sign-in is no longer accepted (${graphMessage(e)}) Sign in again.`;
    return `${doing}: ${graphMessage(e)}`;
  }
  if (e instanceof NetworkError) return `${doing}: the server cannot be reached. Nothing was changed; try again.`;
  if (e instanceof SourceChangedError) return `${doing}: ${e.message}`;
  if (e instanceof TaskdropError || e instanceof Error) return `${doing}: ${e.message}`;
  return `${doing}: ${String(e)}`;
}

/** Failures worth waiting out: no answer, the server restarting (5xx), or throttling (429). */
export function isTransient(e: unknown): boolean {
  if (e instanceof NetworkError) return true;
  if (e instanceof GraphRequestError) return e.status >= 500 || e.status === 429;
  return e instanceof TaskdropError && e.code === "timeout";
}
