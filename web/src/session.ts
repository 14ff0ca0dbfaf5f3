// Who is signed in. Development mode: the server mints a token for a user name (same-origin only);
// the name (never the token) is kept in sessionStorage so a reload signs in again. OIDC mode: the
// issuer's authorization code flow with PKCE (oidc.ts); tokens in memory only.
import { jwtClaims, type OidcSettings } from "./oidc.js";

export type Settings = { auth: "dev" } | { auth: "oidc"; issuer: string; clientId?: string; scopes?: string };

export interface Session {
  token: string;
  /** Shown in the header. */
  displayName: string;
  /** Namespaces this user's paused uploads in localStorage (the token's oid or sub). */
  userKey: string;
  kind: "dev" | "oidc";
  /** OIDC: the ID token, handed back to the issuer as id_token_hint at sign-out. */
  idToken?: string;
}

const DEV_USER_KEY = "taskdrop-dev-user";

export function readSettings(doc: Document = document): Settings {
  const raw = doc.querySelector('meta[name="taskdrop-config"]')?.getAttribute("content") ?? "{}";
  try {
    const s = JSON.parse(raw) as Partial<Settings>;
    if (s.auth === "oidc" && typeof (s as { issuer?: unknown }).issuer === "string") return s as Settings;
  } catch {
    // fall through: a page without settings (e.g. opened from disk) behaves as development mode
  }
  return { auth: "dev" };
}

export function oidcSettings(s: Settings): OidcSettings | undefined {
  if (s.auth !== "oidc" || !s.clientId) return undefined;
  return { issuer: s.issuer, clientId: s.clientId, scopes: s.scopes ?? "openid profile" };
}

export function sessionFromToken(token: string, kind: Session["kind"], fallbackName: string, idClaims: Record<string, unknown> = {}, idToken?: string): Session {
  const c = { ...jwtClaims(token), ...idClaims };
  const str = (k: string) => (typeof c[k] === "string" ? (c[k] as string) : undefined);
  return {
    token,
    kind,
    displayName: str("name") ?? str("preferred_username") ?? str("email") ?? fallbackName,
    userKey: str("oid") ?? str("sub") ?? fallbackName,
    ...(idToken ? { idToken } : {}),
  };
}

/** Asks this server for a development token. Errors come back in Graph's shape and are thrown in words. */
export async function devSignIn(user: string): Promise<Session> {
  let res: Response;
  try {
    res = await fetch(new URL("_taskdrop/web/token", document.baseURI), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ user }),
      credentials: "same-origin",
    });
  } catch {
    throw new Error("The server cannot be reached.");
  }
  const body = (await res.json().catch(() => ({}))) as { access_token?: string; user?: string; error?: { message?: string; innerError?: { message?: string } } };
  if (!res.ok || !body.access_token) {
    throw new Error(body.error?.innerError?.message ?? body.error?.message ?? `The server answered ${res.status}.`);
  }
  sessionStorage.setItem(DEV_USER_KEY, body.user ?? user);
  return sessionFromToken(body.access_token, "dev", body.user ?? user);
}

/** The development user this tab signed in as before a reload, if any. */
export function rememberedDevUser(): string | undefined {
  return sessionStorage.getItem(DEV_USER_KEY) ?? undefined;
}

export function forgetDevUser(): void {
  sessionStorage.removeItem(DEV_USER_KEY);
}
