// POST /{version}/$batch: read the envelope, run its requests through the app, answer them all.
import type { FastifyInstance } from "fastify";
import { parseBatch } from "../../../domain/batch.js";
import { runBatch } from "../../batch.js";
import type { RouteEnv } from "../../caller.js";
import { jsonBody, sendJson } from "../../reply.js";

export function batchRoutes(app: FastifyInstance, env: RouteEnv): void {
  app.post(`/${env.version}/$batch`, async (req, reply) => {
    const steps = parseBatch(jsonBody(req), env.version);
    return sendJson(reply, 200, { responses: await runBatch(app, req, env.version, steps) });
  });
}
