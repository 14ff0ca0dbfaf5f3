// The sign-in form: a user name in development mode, or a button that goes to the OpenID
// Connect issuer (authorization code + PKCE) when the server trusts one.
import { useState } from "preact/hooks";
import { beginSignIn } from "./oidc.js";
import { devSignIn, oidcSettings, rememberedDevUser, type Session, type Settings } from "./session.js";

export function SignIn({ settings, error, onSession }: { settings: Settings; error?: string; onSession: (s: Session) => void }) {
  const [user, setUser] = useState(rememberedDevUser() ?? "");
  const [problem, setProblem] = useState(error);
  const [busy, setBusy] = useState(false);
  const oidc = oidcSettings(settings);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setProblem(undefined);
    try {
      if (settings.auth === "dev") onSession(await devSignIn(user.trim()));
      else if (oidc) location.assign(await beginSignIn(oidc, new URL(".", location.href).href, sessionStorage));
    } catch (err) {
      setProblem(`Could not sign in: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <h1>Taskdrop</h1>
      <p>To Do lists with files attached, on this server's Graph API.</p>
      <form onSubmit={submit}>
        {settings.auth === "dev" ? (
          <>
            <p class="hint">Development mode: any user name signs in (tokens come from this server).</p>
            <label>
              User
              <input name="user" autoComplete="username" required value={user} onInput={(e) => setUser((e.target as HTMLInputElement).value)} />
            </label>
          </>
        ) : oidc ? (
          <p class="hint">You sign in at {new URL(settings.issuer).host}.</p>
        ) : (
          <p class="hint">This server trusts tokens from {settings.issuer}, but the page has no client id there (start the server with --web-client-id).</p>
        )}
        <button type="submit" disabled={busy || (settings.auth === "oidc" && !oidc)}>
          Sign in
        </button>
      </form>
      {problem && <p role="alert" class="error">{problem}</p>}
    </main>
  );
}
