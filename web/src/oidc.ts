// Sign-in at an OpenID Connect issuer from the page: authorization code flow with PKCE (S256), a
// public client (no secret). Only the flow's short-lived state (verifier, state, nonce) survives
// the redirect, in sessionStorage; the tokens live in memory only.

export interface OidcSettings {
  issuer: string;
  clientId: string;
  scopes: string;
}

export interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  end_session_endpoint?: string;
}

export interface SignedIn {
  accessToken: string;
  idToken?: string;
  /** Claims of the ID token (display only: it came straight from the token endpoint). */
  claims: Record<string, unknown>;
  expiresAt?: number;
}

const FLOW_KEY = "taskdrop-oidc-flow";

export function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function randomString(bytes = 32): string {
  return base64url(globalThis.crypto.getRandomValues(new Uint8Array(bytes)));
}

/** RFC 7636 S256: BASE64URL(SHA256(ASCII(code_verifier))). */
export async function challengeOf(verifier: string): Promise<string> {
  return base64url(new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
}

/** The JSON payload of a JWT, without checking it (for display and the nonce). */
export function jwtClaims(token: string | undefined): Record<string, unknown> {
  const part = token?.split(".")[1];
  if (!part) return {};
  try {
    const b64 = part.replace(/-/g, "+").replace(/_/g, "/");
    const bin = atob(b64 + "===".slice((b64.length + 3) % 4));
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)))) as Record<string, unknown>;
  } catch {
    return {};
  }
}

const trimSlash = (s: string) => s.replace(/\/+$/, "");

export async function discover(issuer: string, fetchImpl: typeof fetch = fetch): Promise<Discovery> {
  const url = `${trimSlash(issuer)}/.well-known/openid-configuration`;
  let res: Response;
  try {
    res = await fetchImpl(url);
  } catch {
    throw new Error(`The sign-in service at ${issuer} cannot be reached.`);
  }
  if (!res.ok) throw new Error(`The sign-in service's configuration (${url}) answered ${res.status}.`);
  const d = (await res.json()) as Partial<Discovery>;
  if (typeof d.authorization_endpoint !== "string" || typeof d.token_endpoint !== "string") {
    throw new Error(`The sign-in service's configuration (${url}) names no authorization or token endpoint.`);
  }
  // OpenID Connect Discovery §4.3: the document must be the issuer's own.
  if (typeof d.issuer !== "string" || trimSlash(d.issuer) !== trimSlash(issuer)) {
    throw new Error(`The sign-in service's configuration names issuer ${d.issuer}, not ${issuer}.`);
  }
  return d as Discovery;
}

export function authorizeUrl(d: Discovery, s: OidcSettings, p: { redirectUri: string; state: string; nonce: string; challenge: string }): string {
  const u = new URL(d.authorization_endpoint);
  u.searchParams.set("response_type", "code");
  u.searchParams.set("client_id", s.clientId);
  u.searchParams.set("redirect_uri", p.redirectUri);
  u.searchParams.set("scope", s.scopes);
  u.searchParams.set("state", p.state);
  u.searchParams.set("nonce", p.nonce);
  u.searchParams.set("code_challenge", p.challenge);
  u.searchParams.set("code_challenge_method", "S256");
  return u.href;
}

/** Where to send the browser to sign in; the flow's state waits in `storage` for the way back. */
export async function beginSignIn(s: OidcSettings, redirectUri: string, storage: Storage, fetchImpl: typeof fetch = fetch): Promise<string> {
  const d = await discover(s.issuer, fetchImpl);
  const flow = { state: randomString(16), nonce: randomString(16), verifier: randomString(32), redirectUri };
  storage.setItem(FLOW_KEY, JSON.stringify(flow));
  return authorizeUrl(d, s, { redirectUri, state: flow.state, nonce: flow.nonce, challenge: await challengeOf(flow.verifier) });
}

/**
 * Where to send the browser to end the session at the issuer too (OpenID Connect RP-Initiated Logout),
 * coming back to `returnTo`; undefined when the issuer offers no end_session_endpoint, in which case
 * forgetting the tokens here is all a sign-out can do.
 */
export async function endSessionUrl(s: OidcSettings, idToken: string | undefined, returnTo: string, fetchImpl: typeof fetch = fetch): Promise<string | undefined> {
  const d = await discover(s.issuer, fetchImpl);
  if (typeof d.end_session_endpoint !== "string") return undefined;
  const u = new URL(d.end_session_endpoint);
  u.searchParams.set("client_id", s.clientId);
  if (idToken) u.searchParams.set("id_token_hint", idToken);
  u.searchParams.set("post_logout_redirect_uri", returnTo);
  return u.href;
}

/** True when this URL is the issuer sending the browser back (with a code or an error). */
export function isCallback(location: URL): boolean {
  return location.searchParams.has("state") && (location.searchParams.has("code") || location.searchParams.has("error"));
}

/** Exchanges the code of a callback URL for tokens. Throws, in words, on an error or a forged callback. */
export async function finishSignIn(s: OidcSettings, location: URL, storage: Storage, fetchImpl: typeof fetch = fetch): Promise<SignedIn> {
  const raw = storage.getItem(FLOW_KEY);
  storage.removeItem(FLOW_KEY);
  const q = location.searchParams;
  if (q.has("error")) throw new Error(`Sign-in failed: ${q.get("error_description") || q.get("error")}.`);
  const flow = raw ? (JSON.parse(raw) as { state: string; nonce: string; verifier: string; redirectUri: string }) : undefined;
  if (!flow || flow.state !== q.get("state")) throw new Error("Sign-in failed: this answer does not belong to a sign-in started here. Sign in again.");
  const d = await discover(s.issuer, fetchImpl);
  const body = new URLSearchParams({
    grant_type: "authorization_code",
    code: q.get("code") ?? "",
    redirect_uri: flow.redirectUri,
    client_id: s.clientId,
    code_verifier: flow.verifier,
  });
  let res: Response;
  try {
    res = await fetchImpl(d.token_endpoint, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
  } catch {
    throw new Error("Sign-in failed: the sign-in service's token endpoint cannot be reached.");
  }
  const t = (await res.json().catch(() => ({}))) as { access_token?: string; id_token?: string; expires_in?: number; error?: string; error_description?: string };
  if (!res.ok || typeof t.access_token !== "string") {
    throw new Error(`Sign-in failed: ${t.error_description || t.error || `the token endpoint answered ${res.status}`}.`);
  }
  const claims = jwtClaims(t.id_token);
  if (t.id_token && claims.nonce !== flow.nonce) throw new Error("Sign-in failed: the ID token is not for this sign-in (nonce).");
  return {
    accessToken: t.access_token,
    ...(t.id_token ? { idToken: t.id_token } : {}),
    claims,
    ...(typeof t.expires_in === "number" ? { expiresAt: Date.now() + t.expires_in * 1000 } : {}),
  };
}
