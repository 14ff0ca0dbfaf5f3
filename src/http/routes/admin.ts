// Operational endpoints under /_taskdrop/, outside Graph's URL space.
import type { FastifyInstance } from "fastify";
import { errors } from "../../domain/errors.js";
import type { Deps } from "../../services/deps.js";
import { checkHealth } from "../../services/health.js";
import { sendError } from "../graph-errors.js";

export function adminRoutes(app: FastifyInstance, d: Deps): void {
  const started = Date.now();
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
