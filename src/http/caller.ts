// Who is asking, and whose To Do they are asking about: `/me` (the token's user) or
// `/users/{id|upn}` (the caller themselves when delegated; anyone known when app-only).
import type { FastifyRequest } from "fastify";
import type { Access, Principal } from "../auth/principal.js";
import { requireAccess } from "../auth/principal.js";
import type { TokenVerifier } from "../auth/verifier.js";
import { errors } from "../domain/errors.js";
import type { User } from "../domain/models.js";
import type { Deps } from "../services/deps.js";
import { ensureOwner, findUser } from "../services/users.js";
import { publicBase, type UrlSettings } from "./public-url.js";
import type { UrlScope } from "./views.js";

declare module "fastify" {
  interface FastifyRequest {
    /** Set by the todo group's hook (routes/todo/index.ts) before the body is read. */
    taskdropCaller?: Caller;
  }
}

export interface Caller {
  principal: Principal;
  owner: User;
  scope: UrlScope;
}

export interface RouteEnv {
  deps: Deps;
  verifier: TokenVerifier;
  urls: UrlSettings;
  version: "v1.0" | "beta";
}

export function baseOf(req: FastifyRequest, env: RouteEnv): string {
  return publicBase(req.headers, env.urls);
}

const MAX_USER_KEY = 320;

// One verification per request: the rate limiter keys on the verified identity before the route runs.
const verified = new WeakMap<FastifyRequest, Promise<Principal>>();

export function authenticate(req: FastifyRequest, env: Pick<RouteEnv, "verifier">): Promise<Principal> {
  let p = verified.get(req);
  if (!p) verified.set(req, (p = env.verifier.verify(req.headers.authorization)));
  return p;
}

/** Resolves the caller and the owner whose data the route touches, enforcing scopes and isolation. */
export async function resolveCaller(req: FastifyRequest, env: RouteEnv, access: Access): Promise<Caller> {
  const principal = await authenticate(req, env);
  const userKey = (req.params as { userId?: string }).userId;
  let owner: User;
  if (userKey === undefined) {
    if (principal.kind !== "user") throw errors.meWithAppToken();
    requireAccess(principal, access);
    owner = await ensureOwner(env.deps, principal.oid, principal.upn);
  } else {
    if (userKey.length === 0 || userKey.length > MAX_USER_KEY) throw errors.invalid("The user id in the URL is malformed.");
    requireAccess(principal, access);
    if (principal.kind === "user") {
      const self = userKey.toLowerCase() === principal.oid.toLowerCase() || userKey.toLowerCase() === principal.upn.toLowerCase();
      if (!self) throw errors.accessDenied("A delegated token may only reach its own user's To Do.");
      owner = await ensureOwner(env.deps, principal.oid, principal.upn);
    } else {
      const found = await findUser(env.deps, userKey);
      if (!found) throw errors.notFound(`The user '${userKey}' does not exist.`);
      owner = await ensureOwner(env.deps, found.oid, found.upn);
    }
  }
  return { principal, owner, scope: { base: baseOf(req, env), version: env.version, ownerOid: owner.oid } };
}

/** The caller resolved by the todo group's hook for this request. */
export function callerOf(req: FastifyRequest): Caller {
  const c = req.taskdropCaller;
  if (!c) throw new Error("route registered outside the todo route group");
  return c;
}
