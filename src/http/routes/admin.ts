// Operational endpoints under /_taskdrop/, outside Graph's URL space.
import type { FastifyInstance } from "fastify";
import { errors } from "../../domain/errors.js";
import type { Deps } from "../../services/deps.js";
import { sendError } from "../graph-errors.js";

export function adminRoutes(app: FastifyInstance, d: Deps): void {
  const started = Date.now();
  app.get("/_taskdrop/health", async (req, reply) => {
    try {
      await d.store.ping();
    } catch (e) {
      req.log.warn({ event: "health_failed", err: e }, "store unavailable");
      return sendError(reply, errors.unavailable("The store is not usable."));
    }
    return reply.send({ status: "ok", store: d.store.kind, uptimeSeconds: Math.round((Date.now() - started) / 1000) });
  });
}
