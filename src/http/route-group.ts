// A route group: the routes of one folder under routes/, registered behind one `onRequest` hook that
// authorises every request from its headers and path alone, before Fastify reads any body. A route
// registered outside a group is refused when the app starts (see checkGraphRoutes), so a new route
// cannot forget its authorisation.
import type { FastifyInstance, FastifyRequest, RouteOptions } from "fastify";
import type { Access } from "../auth/principal.js";
import type { RouteEnv } from "./caller.js";
import { isKnownParam } from "./path-ids.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /** The access this route needs when its method does not say it (see accessFor). */
    access?: Access;
    /** Refuse app-only tokens (403) even with the right role; the value names the operation. */
    delegatedOnly?: string;
    /** Stamped by the group the route was registered in. */
    group?: string;
    /** The route streams its body itself (no parser buffers it): see body-limits.ts. */
    streamsBody?: boolean;
  }
}

export interface RouteGroup {
  name: string;
  /** Runs in `onRequest`: throws a GraphError (401/403/404/400 for a bad id) or records who may proceed. */
  authorise(req: FastifyRequest): Promise<void>;
  /** The folder's route modules; each registers its handlers on the group's scoped instance. */
  routes: ((app: FastifyInstance, env: RouteEnv) => void)[];
  /** The group's routes read their bodies as streams (set with a `prepare` that leaves bodies unparsed). */
  streamsBodies?: boolean;
  /** Anything else the group sets on its scope before the routes (e.g. body parsers). */
  prepare?(app: FastifyInstance): void;
}

/** Reads need read access, everything else write access, unless the route's config says otherwise. */
export function accessFor(req: FastifyRequest): Access {
  const given = req.routeOptions.config.access;
  if (given) return given;
  return req.method === "GET" || req.method === "HEAD" ? "read" : "write";
}

export async function registerGroup(app: FastifyInstance, env: RouteEnv, g: RouteGroup): Promise<void> {
  await app.register(async (scoped) => {
    scoped.addHook("onRoute", (r) => {
      r.config = { ...(r.config ?? {}), group: g.name, ...(g.streamsBodies ? { streamsBody: true } : {}) };
    });
    scoped.addHook("onRequest", async (req) => g.authorise(req));
    g.prepare?.(scoped);
    for (const register of g.routes) register(scoped, env);
  });
}

export interface RouteEntry {
  method: string;
  url: string;
  group: string;
}

const tables = new WeakMap<FastifyInstance, RouteEntry[]>();

/** Every Graph route the app serves (with its group), as checked at start-up; for tests and docs. */
export function graphRoutes(app: FastifyInstance): readonly RouteEntry[] {
  return tables.get(app) ?? [];
}

/**
 * Collects every route under a Graph version prefix and, when the app is ready, refuses to start if
 * one was registered outside a group or names a path parameter the id parser does not know.
 */
export function checkGraphRoutes(app: FastifyInstance): void {
  const seen: RouteOptions[] = [];
  app.addHook("onRoute", (r) => {
    if (/^\/(v1\.0|beta)\//.test(r.url)) seen.push(r);
  });
  app.addHook("onReady", async () => {
    const table: RouteEntry[] = [];
    for (const r of seen) {
      const group = r.config?.group;
      if (!group) throw new Error(`route ${String(r.method)} ${r.url} is registered outside a route group, so nothing authorises it`);
      for (const [, name] of r.url.matchAll(/:(\w+)/g)) {
        if (!isKnownParam(name!)) throw new Error(`route ${r.url}: parameter :${name} is unknown to the id parser (src/http/path-ids.ts)`);
      }
      for (const method of [r.method].flat()) table.push({ method, url: r.url, group });
    }
    tables.set(app, table);
  });
}
