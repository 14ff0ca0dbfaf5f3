// The one place where errors become Graph's JSON shape. Anything that is not a GraphError is
// mapped by what it is (a body parser's complaint, a client that went away) or becomes a 500
// that reveals nothing.
import { randomUUID } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { GraphError, errors, isGraphError } from "../domain/errors.js";
import { graphErrorDate } from "../domain/time.js";

export function requestIds(req: FastifyRequest): { requestId: string; clientRequestId: string } {
  return { requestId: req.id, clientRequestId: (req as { clientRequestId?: string }).clientRequestId ?? randomUUID() };
}

export function errorBody(e: GraphError, ids: { requestId: string; clientRequestId: string }, now = new Date()): Record<string, unknown> {
  const inner: Record<string, unknown> = {};
  if (e.innerCode) {
    inner.code = e.innerCode;
    inner.message = e.detail;
  }
  inner.date = graphErrorDate(now);
  inner["request-id"] = ids.requestId;
  inner["client-request-id"] = ids.clientRequestId;
  return { error: { code: e.code, message: e.outerMessage, innerError: inner } };
}

/** Translates framework and Node errors into catalogue errors. */
export function toGraphError(e: unknown): GraphError {
  if (isGraphError(e)) return e;
  const err = e as { code?: string; statusCode?: number; message?: string };
  switch (err.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return errors.tooLarge("The request body is larger than this route accepts.");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return errors.unsupportedMediaType("The Content-Type of the request is not supported here.");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return errors.invalid("The request body is empty; a JSON object is required.");
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return errors.invalid("The Content-Length header does not match the body.");
    case "FST_ERR_BAD_URL":
    case "FST_ERR_ASYNC_CONSTRAINT":
      return errors.invalid("The request URL is malformed.");
  }
  if (err.statusCode === 400 && (e instanceof SyntaxError || /JSON/i.test(err.message ?? ""))) {
    return errors.invalid("The request body is not valid JSON.");
  }
  if (err.statusCode === 400 && typeof err.message === "string" && /prototype|constructor/i.test(err.message)) {
    return errors.invalid("The request body contains a forbidden property name.");
  }
  if (err.statusCode === 400) return errors.invalid("The request is malformed.");
  if (err.statusCode === 413) return errors.tooLarge("The request body is too large.");
  if (err.statusCode === 415) return errors.unsupportedMediaType("The Content-Type of the request is not supported here.");
  return errors.internal();
}

export function sendError(reply: FastifyReply, e: GraphError): FastifyReply {
  const ids = requestIds(reply.request);
  for (const [k, v] of Object.entries(e.headers)) reply.header(k, v);
  return reply.code(e.status).type("application/json").send(JSON.stringify(errorBody(e, ids)));
}
