// Operational endpoints under /_taskdrop/, outside Graph's URL space.
import type { FastifyInstance } from "fastify";
import { errors } from "../../domain/errors.js";
import type { Deps } from "../../services/deps.js";
import { checkHealth } from "../../services/health.js";
import { sendError } from "../graph-errors.js";

/** Taskdrop's own endpoints, for GET /_taskdrop; each is listed only while this app serves it. */
const OWN_ENDPOINTS: { method: "GET" | "POST"; path: string; what: string }[] = [
  { method: "GET", path: "/_taskdrop", what: "this list" },
  { method: "GET", path: "/_taskdrop/health", what: "200 while the store answers, 503 otherwise (for load balancers)" },
  { method: "POST", path: "/_taskdrop/web/token", what: "the web page's development sign-in (same origin only)" },
  { method: "GET", path: "/", what: "the web page" },
];

export function adminRoutes(app: FastifyInstance, d: Deps): void {
  const started = Date.now();
  // A person who opens the server's own prefix learns what is there, instead of Graph's 400.
  app.get("/_taskdrop", async (_req, reply) => {
    const endpoints = OWN_ENDPOINTS.filter((e) => app.hasRoute({ method: e.method, url: e.path }));
    return reply.send({
      service: "taskdrop",
      api: { path: "/v1.0/me/todo/lists", what: "Microsoft Graph's To Do API (also /beta, and /users/{id|upn}/todo/…)" },
      endpoints,
    });
  });
  app.get("/_taskdrop/health", async (req, reply) => {
    let health: Awaited<ReturnType<typeof checkHealth>>;
    try {
      health = await checkHealth(d);
    } catch (e) {
      req.log.warn({ event: "health_failed", err: e }, "store unavailable");
      return sendError(reply, errors.unavailable("The store is not usable."));
    }
    return reply.send({ status: "ok", store: health.store, uptimeSeconds: Math.round((Date.now() - started) / 1000) });
  });
}
