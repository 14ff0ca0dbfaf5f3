// Runs a JSON batch: every inner request goes through the app itself (`inject`), with the batch's
// own Authorization and Host, so each is authorised, validated, rate-limited and answered exactly
// as if it had been sent alone. Requests wait for the ones they depend on; a request whose
// dependency failed is not run and answers 424.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { batchKey, type BatchStep } from "../domain/batch.js";
import { errors } from "../domain/errors.js";
import { errorBody, requestIds } from "./graph-errors.js";

export interface BatchResponse {
  id: string;
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

/** Headers of the batch that every inner request carries (who asks, and under which public URL). */
const INHERITED = ["authorization", "host", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-for", "client-request-id"];
/** Inner headers that describe the envelope's transport, not the inner request. */
const TRANSPORT = new Set(["content-length", "transfer-encoding", "connection", "host", "authorization", "expect", "keep-alive", "upgrade"]);
/** Response headers a batch response leaves out (they describe the inner hop only). */
const HOP = new Set(["content-length", "transfer-encoding", "connection", "keep-alive", "date"]);

/**
 * Header names as Graph spells them in batch answers ("Content-Type", "Location", …): Microsoft's
 * JS SDK v3 looks up `headers["Content-Type"]` exactly and reads a JSON body as text without it.
 */
const SPELLING: Record<string, string> = {
  "content-type": "Content-Type",
  location: "Location",
  etag: "ETag",
  "retry-after": "Retry-After",
  "preference-applied": "Preference-Applied",
  "cache-control": "Cache-Control",
  "www-authenticate": "WWW-Authenticate",
  "content-range": "Content-Range",
};

const jsonType = (t: string | undefined) => t !== undefined && /^application\/(?:[\w.+-]*\+)?json\b/i.test(t);

async function runOne(app: FastifyInstance, outer: FastifyRequest, version: string, step: BatchStep): Promise<BatchResponse> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(step.headers)) if (!TRANSPORT.has(k)) headers[k] = v;
  for (const k of INHERITED) {
    const v = outer.headers[k];
    if (typeof v === "string") headers[k] = v;
  }
  const res = await app.inject({ method: step.method as "GET", url: `/${version}${step.url}`, headers, ...(step.body ? { payload: step.body } : {}) });
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) {
    if (v === undefined || HOP.has(k)) continue;
    out[SPELLING[k] ?? k] = Array.isArray(v) ? v.join(", ") : String(v);
  }
  const type = out["Content-Type"];
  const r: BatchResponse = { id: step.id, status: res.statusCode, headers: out };
  if (res.rawPayload.length > 0) {
    // JSON bodies are inlined; anything else (a $value) is base64, as Graph's batch answers it.
    r.body = jsonType(type) ? JSON.parse(res.payload) : res.rawPayload.toString("base64");
  }
  return r;
}

function failedDependency(outer: FastifyRequest, step: BatchStep, dep: string): BatchResponse {
  const e = errors.failedDependency(`Request id ${step.id} depends on request id ${dep}, which failed; it was not run.`);
  return { id: step.id, status: e.status, headers: { "Content-Type": "application/json" }, body: errorBody(e, requestIds(outer)) };
}

/** Runs the steps (each as soon as its dependencies are done), answering in request order. */
export async function runBatch(app: FastifyInstance, outer: FastifyRequest, version: string, steps: BatchStep[]): Promise<BatchResponse[]> {
  const done = new Map<string, Promise<BatchResponse>>();
  for (const step of steps) {
    const deps = step.dependsOn.map((d) => ({ id: d, result: done.get(d)! }));
    const run = (async () => {
      for (const dep of deps) {
        const r = await dep.result;
        if (r.status >= 400) return failedDependency(outer, step, r.id);
      }
      return runOne(app, outer, version, step);
    })();
    done.set(batchKey(step.id), run);
  }
  return Promise.all(steps.map((s) => done.get(batchKey(s.id))!));
}
