// Turns an Authorization header into a Principal: development tokens (our own key) or tokens
// from a real OpenID Connect issuer (its JWKS), by configuration.
import { jwtVerify, errors as joseErrors, type JWTPayload, type JWTVerifyGetKey, type CryptoKey } from "jose";
import type { AuthConfig } from "../config.js";
import { errors } from "../domain/errors.js";
import { DEV_ISSUER, GRAPH_APP_ID, GRAPH_AUDIENCE, type SigningKey } from "./dev-issuer.js";
import type { Principal } from "./principal.js";
import { RemoteKeys } from "./remote-keys.js";

export interface TokenVerifier {
  verify(authorization: string | undefined): Promise<Principal>;
}

// The scheme name is case-insensitive (RFC 9110 §11.1); some clients send "bearer".
const BEARER = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/i;

function principalFrom(p: JWTPayload): Principal {
  const scp = typeof p.scp === "string" ? p.scp : undefined;
  const roles = Array.isArray(p.roles) ? p.roles.filter((r): r is string => typeof r === "string") : undefined;
  const oid = typeof p.oid === "string" ? p.oid : typeof p.sub === "string" ? p.sub : undefined;
  if (scp !== undefined) {
    if (!oid) throw errors.unauthenticated("The token has no oid claim.");
    const upn = typeof p.preferred_username === "string" ? p.preferred_username : typeof p.upn === "string" ? p.upn : oid;
    return { kind: "user", oid, upn, scopes: new Set(scp.split(" ").filter(Boolean)) };
  }
  if (roles !== undefined) {
    const appId = typeof p.appid === "string" ? p.appid : typeof p.azp === "string" ? p.azp : (oid ?? "unknown");
    return { kind: "app", appId, roles: new Set(roles) };
  }
  throw errors.unauthenticated("The token carries neither scp nor roles.");
}

function explain(e: unknown): never {
  if (e instanceof joseErrors.JWTExpired) throw errors.unauthenticated("Lifetime validation failed, the token is expired.");
  if (e instanceof joseErrors.JWTClaimValidationFailed) throw errors.unauthenticated(`Token validation failed: ${e.claim} is not accepted.`);
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) throw errors.unauthenticated("Signature validation failed.");
  if (e instanceof joseErrors.JWKSNoMatchingKey) throw errors.unauthenticated("No signing key matches the token.");
  if (e instanceof joseErrors.JOSEError) throw errors.unauthenticated("The access token is malformed or cannot be validated.");
  throw e;
}

/** `onRefreshFailed`: told when the issuer's keys could not be refreshed and the cached ones keep serving. */
export function createVerifier(cfg: AuthConfig, devKey: SigningKey | undefined, onRefreshFailed?: (e: Error) => void): TokenVerifier {
  let key: CryptoKey | JWTVerifyGetKey;
  let options: { issuer: string; audience: string | string[]; algorithms?: string[] };
  if (cfg.mode === "dev") {
    if (!devKey) throw new Error("development auth needs a signing key");
    key = devKey.publicKey;
    options = { issuer: DEV_ISSUER, audience: [GRAPH_AUDIENCE, GRAPH_APP_ID], algorithms: ["ES256"] };
  } else {
    const issuer = cfg.issuer;
    const remote = new RemoteKeys({
      issuer,
      ...(cfg.jwksUrl ? { jwksUrl: cfg.jwksUrl } : {}),
      timeoutMs: cfg.fetchTimeoutMs,
      maxAgeMs: cfg.jwksMaxAgeSeconds * 1000,
      ...(onRefreshFailed ? { onRefreshFailed } : {}),
    });
    key = (header, token) => remote.getKey(header, token);
    options = { issuer, audience: cfg.audience };
  }
  return {
    async verify(authorization) {
      if (authorization === undefined || authorization === "") throw errors.unauthenticated("Access token is empty.");
      const m = BEARER.exec(authorization.trim());
      if (!m) throw errors.unauthenticated("The Authorization header must be 'Bearer <JWT>'.");
      let payload: JWTPayload;
      try {
        payload = (await jwtVerify(m[1]!, key as CryptoKey, { ...options, requiredClaims: ["exp"] })).payload;
      } catch (e) {
        explain(e);
      }
      return principalFrom(payload);
    },
  };
}
