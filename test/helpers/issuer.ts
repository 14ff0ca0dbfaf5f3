// A minimal OpenID Connect issuer on 127.0.0.1 — a discovery document and a JWKS with one RS256 key —
// that can also misbehave on purpose (hang, fail, stall its body), for the real-issuer mode's tests.
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from "jose";

/** How the issuer answers a document: properly, never, with a 500, or headers then a body that never ends. */
export type IssuerMode = "ok" | "hang" | "fail" | "stall";

export interface Issuer {
  url: string;
  key: { privateKey: CryptoKey; kid: string };
  /** Requests the issuer received, by path. */
  hits: Map<string, number>;
  /** The most requests for one path that were open at the same moment (single-flight means 1). */
  peak: Map<string, number>;
  /** How each document is answered from now on (default "ok"). */
  modes: { discovery: IssuerMode; keys: IssuerMode };
  discoveryPath: string;
  keysPath: string;
  close(): Promise<void>;
}

export const AUDIENCE = "api://taskdrop-tests";

export async function startIssuer(): Promise<Issuer> {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const kid = "test-key-1";
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" };
  const hits = new Map<string, number>();
  const open = new Map<string, number>();
  const peak = new Map<string, number>();
  const modes: Issuer["modes"] = { discovery: "ok", keys: "ok" };
  const held = new Set<ServerResponse>();
  let base = "";
  const answer = (res: ServerResponse, mode: IssuerMode, body: unknown) => {
    if (mode === "hang") return void held.add(res);
    if (mode === "fail") return void res.writeHead(500).end("issuer trouble");
    res.setHeader("content-type", "application/json");
    if (mode === "stall") {
      held.add(res);
      return void res.writeHead(200).write(JSON.stringify(body).slice(0, 10));
    }
    res.end(JSON.stringify(body));
  };
  const server = createServer((req, res) => {
    const path = req.url ?? "/";
    hits.set(path, (hits.get(path) ?? 0) + 1);
    open.set(path, (open.get(path) ?? 0) + 1);
    peak.set(path, Math.max(peak.get(path) ?? 0, open.get(path)!));
    res.once("close", () => open.set(path, open.get(path)! - 1));
    if (path === "/tenant/.well-known/openid-configuration") {
      answer(res, modes.discovery, { issuer: `${base}/tenant`, jwks_uri: `${base}/tenant/keys`, id_token_signing_alg_values_supported: ["RS256"] });
    } else if (path === "/tenant/keys" || path === "/elsewhere/jwks.json") {
      answer(res, modes.keys, { keys: [jwk] });
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${base}/tenant`,
    key: { privateKey, kid },
    hits,
    peak,
    modes,
    discoveryPath: "/tenant/.well-known/openid-configuration",
    keysPath: "/tenant/keys",
    close: () =>
      new Promise<void>((r) => {
        for (const res of held) res.destroy();
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** A token signed with `key`, for the issuer `iss` (delegated, user erin, Tasks.ReadWrite unless `claims` say otherwise). */
export async function issue(
  key: { privateKey: CryptoKey; kid: string },
  o: { iss: string; aud?: string; exp?: number; claims?: Record<string, unknown> },
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ oid: "5d0b6f3e-1111-4222-8333-444455556666", preferred_username: "erin@contoso.example", scp: "Tasks.ReadWrite", ...o.claims })
    .setProtectedHeader({ alg: "RS256", kid: key.kid, typ: "JWT" })
    .setIssuer(o.iss)
    .setAudience(o.aud ?? AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(o.exp ?? now + 600)
    .sign(key.privateKey);
}
