// The Fastify application: request ids, CORS, body parsing, one error mapper, and the resource
// routes registered under every version (`/v1.0`, `/beta`) and principal (`/me`, `/users/{id}`).
import { randomUUID } from "node:crypto";
import { STATUS_CODES, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import cors from "@fastify/cors";
import rateLimit from "@fastify/rate-limit";
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type onRequestAsyncHookHandler } from "fastify";
import type { SigningKey } from "../auth/dev-issuer.js";
import type { TokenVerifier } from "../auth/verifier.js";
import { loggedPath } from "../log.js";
import { errors } from "../domain/errors.js";
import type { Deps } from "../services/deps.js";
import { authenticate, type RouteEnv } from "./caller.js";
import { boundBodies } from "./body-limits.js";
import { errorBody, sendError, toGraphError } from "./graph-errors.js";
import { normalisePath } from "./key-syntax.js";
import type { UrlSettings } from "./public-url.js";
import { adminRoutes } from "./routes/admin.js";
import { checkGraphRoutes, registerGroup } from "./route-group.js";
import { batchGroup } from "./routes/batch/index.js";
import { metadataGroup } from "./routes/metadata/index.js";
import { todoGroup } from "./routes/todo/index.js";
import { uploadUrlGroup } from "./routes/upload-url/index.js";
import { webRoutes } from "./routes/web.js";
import { unknownRouteError } from "./unknown-route.js";

/** Large enough for the small-file POST: 3 MiB of bytes is about 4.2 MB of base64 JSON. */
export const JSON_BODY_LIMIT = 5 * 1024 * 1024;

export const EXPOSED_HEADERS = ["Location", "ETag", "request-id", "client-request-id", "Retry-After", "WWW-Authenticate", "Content-Range", "Preference-Applied"];

declare module "fastify" {
  interface FastifyRequest {
    clientRequestId: string;
  }
}

const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;

export interface AppOptions {
  deps: Deps;
  verifier: TokenVerifier;
  urls: UrlSettings;
  /** TLS material when serving HTTPS. */
  https?: { cert: string; key: string } | null;
  /** The development signing key (development mode): the web page's sign-in mints tokens with it. */
  devKey?: SigningKey;
  /** Where the built web page is (default dist/public). */
  pageDir?: string;
}

const answeringThenClosing = new WeakSet<Socket>();

/**
 * Errors below HTTP (unparseable bytes, headers too slow or too large, a body cut short) in Graph's
 * shape. Bytes that follow a complete request and do not parse must not take the place of that
 * request's answer: the request is answered truthfully and the connection closed after it.
 */
function onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === "ECONNRESET" || socket.destroyed) return;
  socket.on("error", () => {}); // Node has dropped its own listener; a late EPIPE must not crash us
  const res = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
  if (res && !res.writableEnded && res.req?.complete) {
    if (!answeringThenClosing.has(socket)) {
      answeringThenClosing.add(socket);
      res.shouldKeepAlive = false;
      res.once("close", () => socket.destroy());
    }
    return;
  }
  const [status, e] =
    err.code === "ERR_HTTP_REQUEST_TIMEOUT"
      ? [408, errors.invalid(res ? "The request body did not arrive in time; nothing was done." : "The request headers did not arrive in time.")]
      : err.code === "HPE_HEADER_OVERFLOW"
        ? [431, errors.invalid("The request headers are larger than the server accepts.")]
        : err.code === "HPE_INVALID_EOF_STATE"
          ? [400, errors.invalid("The connection ended before the request did; nothing was committed.")]
          : [400, errors.invalid("The request is not valid HTTP/1.1.")];
  if (socket.writable && !res?.headersSent) {
    const ids = { requestId: randomUUID(), clientRequestId: randomUUID() };
    const body = JSON.stringify(errorBody(e, ids));
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `request-id: ${ids.requestId}\r\nclient-request-id: ${ids.clientRequestId}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

export async function buildApp(o: AppOptions): Promise<FastifyInstance> {
  const { config } = o.deps;
  // Node checks header deadlines on this interval (30 s by default), so a short --headers-timeout
  // needs a matching interval to take effect on time.
  const connectionsCheckingInterval = Math.min(5_000, Math.max(100, Math.floor(Math.min(config.headersTimeoutMs, config.bodyTimeoutMs) / 4)));
  const app = Fastify({
    loggerInstance: o.deps.log,
    ...(o.https ? { https: { ...o.https, connectionsCheckingInterval } } : { http: { connectionsCheckingInterval } }),
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    logController: new LogController({ requestIdLogLabel: "requestId", disableRequestLogging: true }),
    bodyLimit: JSON_BODY_LIMIT,
    rewriteUrl: (req: { url?: string }) => normalisePath(req.url ?? "/"),
    // Slowloris: headers must arrive promptly, whole requests within --body-timeout (answered 408 in
    // onClientError); stalls within a body are policed per read (body-limits.ts, the upload service).
    connectionTimeout: 0,
    keepAliveTimeout: 65_000,
    requestTimeout: config.bodyTimeoutMs,
    http2SessionTimeout: 0,
    forceCloseConnections: "idle",
    return503OnClosing: true,
    routerOptions: { maxParamLength: 500, ignoreTrailingSlash: true },
    clientErrorHandler: onClientError,
    // Bad percent-encoding or an over-long path segment, caught by the router before any hook runs.
    frameworkErrors: (e: { code?: string }, req: FastifyRequest, reply: FastifyReply) => {
      const given = req.headers["client-request-id"];
      req.clientRequestId = typeof given === "string" && CLIENT_REQUEST_ID.test(given) ? given : randomUUID();
      reply.header("request-id", req.id).header("client-request-id", req.clientRequestId);
      return sendError(reply, e.code === "FST_ERR_MAX_PARAM_LENGTH" ? errors.malformedId() : toGraphError(e));
    },
  } as never) as unknown as FastifyInstance;

  app.server.headersTimeout = config.headersTimeoutMs;

  app.addHook("onRequest", async (req, reply) => {
    const given = req.headers["client-request-id"];
    req.clientRequestId = typeof given === "string" && CLIENT_REQUEST_ID.test(given) ? given : randomUUID();
    reply.header("request-id", req.id);
    reply.header("client-request-id", req.clientRequestId);
  });

  app.addHook("onResponse", async (req, reply) => {
    req.log.info({ event: "request", method: req.method, url: loggedPath(req.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, "request");
  });

  // close() drops only the connections idle at that instant. A streamed response (a $value) can be
  // complete for its client while the server has not yet finished it; its keep-alive connection then
  // held close() for the whole keep-alive timeout (65 s). Drop each one as soon as it goes idle.
  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
  });
  app.addHook("onResponse", async () => {
    if (closing) setImmediate(() => app.server.closeIdleConnections());
  });

  await app.register(cors, {
    origin: config.corsOrigins === true ? true : config.corsOrigins,
    methods: ["GET", "HEAD", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"],
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: 86_400,
    strictPreflight: false,
  });

  if (config.rateLimitPerMinute > 0) {
    await app.register(rateLimit, {
      max: config.rateLimitPerMinute,
      timeWindow: 60_000,
      // The verified identity, not the header (whose spelling a caller controls: `bearer T`, `Bearer  T`
      // would each get a fresh budget); anonymous callers and tokens that fail verification share
      // their address's budget, so neither garbage tokens nor none at all escape the limit.
      keyGenerator: async (req: FastifyRequest) => {
        try {
          const p = await authenticate(req, o);
          return p.kind === "user" ? `user:${p.oid}` : `app:${p.appId}`;
        } catch {
          return `addr:${req.ip}`;
        }
      },
      // Health probes come on a timer from the infrastructure, not from callers.
      allowList: (req: FastifyRequest) => req.url.startsWith("/_taskdrop/"),
      errorResponseBuilder: (_req: FastifyRequest, ctx: { ttl: number }) => Object.assign(errors.rateLimited(Math.ceil(ctx.ttl / 1000)), { statusCode: 429 }),
      addHeaders: { "retry-after": true, "x-ratelimit-limit": false, "x-ratelimit-remaining": false, "x-ratelimit-reset": false },
      addHeadersOnExceeding: { "x-ratelimit-limit": false, "x-ratelimit-remaining": false, "x-ratelimit-reset": false },
      // Not per route (the plugin would run after each route's own auth hook, so a refused caller
      // would never count): one app-wide hook, before every route's hooks and for unknown paths too.
      global: false,
    });
    app.addHook("onRequest", (app as unknown as { rateLimit(): onRequestAsyncHookHandler }).rateLimit());
  }

  boundBodies(app, { idleMs: config.bodyIdleTimeoutMs, maxBufferedBytes: config.maxBufferedBodyBytes });

  // Bytes of upload PUTs are streamed by the route itself: leave every non-JSON body unread.
  app.addContentTypeParser("*", (_req, _payload, done) => done(null, undefined));
  // Clients (Graph SDKs among them) label bodiless DELETEs and GETs as JSON; there is nothing to parse.
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (req, body, done) => {
    if ((body as string).length === 0 && (req.method === "DELETE" || req.method === "GET")) return done(null, undefined);
    parseJson(req, body as string, done);
  });

  app.setErrorHandler((e, req, reply) => {
    const ge = toGraphError(e);
    if (ge.status >= 500) req.log.error({ event: "error", err: e }, "request failed");
    return sendError(reply, ge);
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, unknownRouteError(req.url)));

  // Every Graph route belongs to a route group (src/http/README.md): checked when the app is ready.
  checkGraphRoutes(app);
  for (const version of ["v1.0", "beta"] as const) {
    const env: RouteEnv = { deps: o.deps, verifier: o.verifier, urls: o.urls, version };
    await registerGroup(app, env, batchGroup(env));
    await registerGroup(app, env, metadataGroup(env));
    for (const principal of ["/me", "/users/:userId"]) {
      await app.register(
        async (scoped) => {
          await registerGroup(scoped, env, todoGroup(env));
          await registerGroup(scoped, env, uploadUrlGroup(env));
        },
        { prefix: `/${version}${principal}/todo` },
      );
    }
  }
  adminRoutes(app, o.deps);
  webRoutes(app, { config, urls: o.urls, devKey: o.devKey, ...(o.pageDir ? { pageDir: o.pageDir } : {}) });
  return app;
}
