// The one catalogue of errors Taskdrop answers with. Each is a value: an HTTP status, a Graph
// `code`, optionally an Exchange-style inner code (To Do nests one), and a human message.
// The HTTP layer turns these into Graph's JSON shape in exactly one place.

export type ErrorKind =
  | "unauthenticated"
  | "invalidModel"
  | "alreadyExists"
  | "meWithAppToken"
  | "accessDenied"
  | "notFound"
  | "malformedId"
  | "preconditionFailed"
  | "invalidRequest"
  | "invalidUpload"
  | "defaultListImmutable"
  | "tooLarge"
  | "lengthRequired"
  | "invalidRange"
  | "conflict"
  | "unsupportedMediaType"
  | "rateLimited"
  | "unknownSegment"
  | "methodNotAllowed"
  | "tooManySessions"
  | "quotaLimitReached"
  | "syncStateNotFound"
  | "badBatch"
  | "failedDependency"
  | "internal"
  | "unavailable";

interface Shape {
  status: number;
  code: string;
  /**
   * When set, innerError carries `code` and the detail; `error.message` is then `outerMessage`, or
   * the detail too when there is none. Unset: the detail is `error.message` (the spec's table names
   * an inner code only for some rows).
   */
  inner?: { code: string; outerMessage?: string };
}

const SHAPES: Record<ErrorKind, Shape> = {
  unauthenticated: { status: 401, code: "InvalidAuthenticationToken" },
  meWithAppToken: { status: 400, code: "BadRequest" },
  accessDenied: { status: 403, code: "accessDenied", inner: { code: "ErrorAccessDenied", outerMessage: "Access is denied. Check credentials and try again." } },
  notFound: { status: 404, code: "itemNotFound", inner: { code: "ErrorItemNotFound", outerMessage: "Item not found" } },
  malformedId: { status: 400, code: "invalidRequest", inner: { code: "ErrorInvalidIdMalformed", outerMessage: "Id is malformed." } },
  preconditionFailed: { status: 412, code: "preconditionFailed", inner: { code: "ErrorIrresolvableConflict", outerMessage: "The change key passed in the request does not match the current change key for the item." } },
  invalidRequest: { status: 400, code: "invalidRequest", inner: { code: "ErrorInvalidRequest", outerMessage: "Invalid request" } },
  // The upload PUT's own 400s (Content-Range, lengths, a body cut short): no inner code in the spec's table.
  invalidUpload: { status: 400, code: "invalidRequest" },
  defaultListImmutable: { status: 400, code: "invalidRequest", inner: { code: "ErrorInvalidRequest", outerMessage: "Invalid request" } },
  // The message must say the limit (and for ranges the SDK options), so it is `error.message` itself.
  tooLarge: { status: 413, code: "invalidRequest" },
  lengthRequired: { status: 411, code: "invalidRequest" },
  // The expected offset is in both `error.message` and innerError.
  invalidRange: { status: 416, code: "invalidRange", inner: { code: "ErrorInvalidRange" } },
  conflict: { status: 409, code: "conflict" },
  // A second inline linkedResource (Graph's answer as reported in microsoft-graph-docs issue 12699).
  invalidModel: { status: 400, code: "invalidRequest", inner: { code: "InvalidModel" } },
  // An open extension whose name the resource already has.
  alreadyExists: { status: 409, code: "conflict", inner: { code: "ErrorItemAlreadyExists" } },
  unsupportedMediaType: { status: 415, code: "invalidRequest" },
  rateLimited: { status: 429, code: "activityLimitReached", inner: { code: "ErrorTooManyRequests", outerMessage: "The request has been throttled" } },
  unknownSegment: { status: 400, code: "BadRequest" },
  methodNotAllowed: { status: 405, code: "Request_BadRequest" },
  // OneDrive's answer when a write would pass the storage quota (see docs/graph-behaviour.md).
  quotaLimitReached: { status: 507, code: "quotaLimitReached" },
  tooManySessions: { status: 429, code: "activityLimitReached", inner: { code: "ErrorQuotaExceeded", outerMessage: "Too many open upload sessions" } },
  // Delta tokens older than the kept change history (observed with this code on To Do task delta).
  syncStateNotFound: { status: 410, code: "syncStateNotFound" },
  // A $batch envelope Graph refuses as a whole (observed: "Request Id … has to be unique in a batch.").
  badBatch: { status: 400, code: "BadRequest" },
  // A batch request not run because one it dependsOn failed (Graph answers 424 for it).
  failedDependency: { status: 424, code: "FailedDependency" },
  internal: { status: 500, code: "generalException" },
  unavailable: { status: 503, code: "serviceNotAvailable" },
};

export class GraphError extends Error {
  readonly status: number;
  readonly code: string;
  readonly innerCode: string | undefined;
  /** Extra headers the error must carry (WWW-Authenticate, Retry-After). */
  readonly headers: Record<string, string>;

  constructor(readonly kind: ErrorKind, readonly detail: string, headers: Record<string, string> = {}) {
    super(detail);
    const shape = SHAPES[kind];
    this.status = shape.status;
    this.code = shape.code;
    this.innerCode = shape.inner?.code;
    this.headers = kind === "unauthenticated" ? { "www-authenticate": 'Bearer realm="taskdrop", error="invalid_token"', ...headers } : headers;
  }

  /** `error.message` as Graph prints it: the fixed text when an inner code carries the detail. */
  get outerMessage(): string {
    return SHAPES[this.kind].inner?.outerMessage ?? this.detail;
  }
}

export const errors = {
  unauthenticated: (detail = "Access token is empty.") => new GraphError("unauthenticated", detail),
  meWithAppToken: () => new GraphError("meWithAppToken", "/me request is only valid with delegated authentication flow."),
  accessDenied: (detail = "Access is denied. Check credentials and try again.") => new GraphError("accessDenied", detail),
  notFound: (detail = "Item not found") => new GraphError("notFound", detail),
  malformedId: (what = "Id") => new GraphError("malformedId", `${what} is malformed.`),
  preconditionFailed: () =>
    new GraphError("preconditionFailed", "The If-Match header does not match the current version of the item."),
  invalid: (detail: string) => new GraphError("invalidRequest", detail),
  invalidUpload: (detail: string) => new GraphError("invalidUpload", detail),
  defaultListRename: () => new GraphError("defaultListImmutable", "Your request can't be completed. A default task folder can't be renamed."),
  defaultListDelete: () => new GraphError("defaultListImmutable", "Your request can't be completed. A default task folder can't be deleted."),
  tooLarge: (detail: string) => new GraphError("tooLarge", detail),
  lengthRequired: () =>
    new GraphError("lengthRequired", "A Content-Length header is required; chunked or bodiless PUTs are not accepted."),
  invalidRange: (detail: string) => new GraphError("invalidRange", detail),
  conflict: () => new GraphError("conflict", "Another request is already writing to this upload session; retry after it finishes."),
  unsupportedMediaType: (detail: string) => new GraphError("unsupportedMediaType", detail),
  invalidModel: (detail: string) => new GraphError("invalidModel", detail),
  alreadyExists: (detail: string) => new GraphError("alreadyExists", detail),
  /** A checklistItem, linkedResource or extension past its parent's limit (both stores, one wording). */
  tooManyChildren: (parent: "task" | "list", max: number, kind: string) => new GraphError("invalidRequest", `A ${parent} may have at most ${max} ${kind} children.`),
  childExists: (kind: string, id: string) => new GraphError("alreadyExists", `The ${kind} '${id}' already exists.`),
  rateLimited: (retryAfterSeconds: number) =>
    new GraphError("rateLimited", "Too many requests; retry later.", { "retry-after": String(retryAfterSeconds) }),
  /** Throttling as Graph does it: 429 with Retry-After; a range PUT is safe to repeat. */
  tooManyUploads: (cap: number) =>
    new GraphError("rateLimited", `A user may have at most ${cap} range uploads in flight at once; retry this range shortly.`, { "retry-after": "1" }),
  quotaLimitReached: (message: string) => new GraphError("quotaLimitReached", message),
  tooManySessions: (cap: number) =>
    new GraphError("tooManySessions", `A user may have at most ${cap} open upload sessions; finish or delete some first.`, { "retry-after": "60" }),
  unknownSegment: (segment: string) => new GraphError("unknownSegment", `Resource not found for the segment '${segment}'.`),
  methodNotAllowed: () => new GraphError("methodNotAllowed", "The HTTP method is not allowed on this resource."),
  syncStateNotFound: () =>
    new GraphError("syncStateNotFound", "The sync state generation is not found: the delta token is older than the change history kept; synchronize the collection again from the start."),
  badBatch: (detail: string) => new GraphError("badBatch", detail),
  failedDependency: (detail: string) => new GraphError("failedDependency", detail),
  internal: () => new GraphError("internal", "An internal error occurred; the request changed nothing."),
  unavailable: (detail = "The service is shutting down or its store is unavailable.") => new GraphError("unavailable", detail),
};

export function isGraphError(e: unknown): e is GraphError {
  return e instanceof GraphError;
}
