// OIDC sign-in in the web page against a real OpenID provider run here (the `oidc-provider`
// package on 127.0.0.1): authorization code + PKCE from the page, the provider's own login and
// consent pages, the code exchanged at its token endpoint, and the access token (a JWT for
// Taskdrop's audience) accepted by a Taskdrop server started with --auth-issuer and
// --web-client-id. Then sign-out, at the provider too.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { exportJWK, generateKeyPair } from "jose";
import type { Browser } from "playwright-core";
import { chromiumSkipReason, launchChromium } from "../helpers/chromium.js";
import { call } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { assertNoProblems, newTask, openPage } from "./support.js";

const skip = chromiumSkipReason();
const AUDIENCE = "api://taskdrop";
const CLIENT_ID = "taskdrop-page";

/** A local OpenID provider; its issuer URL is known before Taskdrop starts, the page's redirect URI after. */
async function startProvider(): Promise<{ issuer: string; configure(redirectUri: string): Promise<void>; tokens: string[]; close(): Promise<void> }> {
  const http: Server = createServer();
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  const issuer = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const tokens: string[] = [];
  return {
    issuer,
    tokens,
    async configure(redirectUri) {
      const { default: Provider } = await import("oidc-provider");
      const { privateKey } = await generateKeyPair("ES256", { extractable: true });
      const key = { ...(await exportJWK(privateKey)), kid: "test-key", alg: "ES256", use: "sig" };
      const provider = new Provider(issuer, {
        clients: [{ client_id: CLIENT_ID, token_endpoint_auth_method: "none", redirect_uris: [redirectUri], post_logout_redirect_uris: [redirectUri], grant_types: ["authorization_code"], response_types: ["code"], id_token_signed_response_alg: "ES256" }],
        jwks: { keys: [key] },
        findAccount: async (_ctx: unknown, id: string) => ({
          accountId: id,
          claims: async () => ({ sub: id, name: `Person ${id}`, preferred_username: `${id}@example.test` }),
        }),
        claims: { openid: ["sub"], profile: ["name", "preferred_username"] },
        features: {
          devInteractions: { enabled: true },
          resourceIndicators: {
            enabled: true,
            defaultResource: () => AUDIENCE,
            useGrantedResource: () => true,
            getResourceServerInfo: () => ({ scope: "Tasks.ReadWrite", audience: AUDIENCE, accessTokenFormat: "jwt", jwt: { sign: { alg: "ES256" } } }),
          },
        },
        // Entra-style claims Taskdrop reads: scp (delegated scopes) and the user's name.
        extraTokenClaims: async (_ctx: unknown, token: { accountId?: string; kind?: string }) =>
          token.kind === "AccessToken" ? { scp: "Tasks.ReadWrite", preferred_username: `${token.accountId}@example.test` } : undefined,
        pkce: { required: () => true },
      });
      provider.on("access_token.issued", (t: { jti?: string }) => void tokens.push(String(t.jti)));
      http.on("request", provider.callback());
    },
    close: () =>
      new Promise<void>((r) => {
        http.closeAllConnections();
        http.close(() => r());
      }),
  };
}

describe("OIDC sign-in in the web page", { skip }, () => {
  let idp: Awaited<ReturnType<typeof startProvider>>;
  let s: TestServer;
  let browser: Browser;

  before(async () => {
    idp = await startProvider();
    s = await startTestServer({ authIssuer: idp.issuer, authAudience: AUDIENCE, webClientId: CLIENT_ID, webScopes: "openid profile Tasks.ReadWrite" });
    await idp.configure(`${s.url}/`);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await s?.close();
    await idp?.close();
  });

  test("Sign in goes to the provider and back with a code; the token works on the API; Sign out forgets it", async () => {
    const run = await openPage(browser, `${s.url}/`);
    const { page } = run;
    // The token the provider gave the page, read off the wire, to check the API from outside.
    let accessToken: string | undefined;
    page.on("response", async (r) => {
      if (r.request().method() === "POST" && r.url().startsWith(`${idp.issuer}/token`)) accessToken = ((await r.json()) as { access_token?: string }).access_token;
    });
    try {
      assert.equal(await page.getByLabel("User").count(), 0, "no development sign-in with an issuer");
      await page.getByRole("button", { name: "Sign in" }).click();
      // The provider's own login and consent pages.
      await page.waitForURL((u) => u.origin === idp.issuer);
      const authorize = new URL(page.url());
      await page.locator('input[name="login"]').fill("oidc-olga");
      await page.locator('input[name="password"]').fill("any");
      await page.getByRole("button", { name: "Sign-in" }).click();
      await page.getByRole("button", { name: "Continue" }).click();
      // Back on the page, signed in; the code is gone from the address bar.
      await page.getByRole("navigation", { name: "Lists" }).getByRole("link", { name: "Tasks" }).waitFor({ timeout: 20_000 });
      assert.equal(new URL(page.url()).search, "");
      await page.getByText("Person oidc-olga").waitFor();
      assert.ok(idp.tokens.length >= 1, "the provider issued an access token");
      assert.equal(authorize.origin, idp.issuer);

      // The page works with that token: a task made in the page is there through the API.
      await newTask(page, "Signed in with OIDC");
      assert.ok(accessToken, "the page exchanged the code for an access token");
      const lists = await call("GET", `${s.url}/v1.0/me/todo/lists`, { token: accessToken });
      assert.equal(lists.status, 200);
      const tasks = await call("GET", `${s.url}/v1.0/me/todo/lists/${lists.json.value[0].id}/tasks`, { token: accessToken });
      assert.deepEqual(tasks.json.value.map((t: { title: string }) => t.title), ["Signed in with OIDC"]);
      const storage = await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }));
      assert.doesNotMatch(storage, /eyJ/, "no token in web storage");

      // Sign out ends the provider's session too (RP-initiated logout) and comes back here.
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.waitForURL((u) => u.origin === idp.issuer);
      const end = new URL(page.url());
      assert.equal(end.searchParams.get("client_id"), CLIENT_ID);
      assert.equal(end.searchParams.get("post_logout_redirect_uri"), `${s.url}/`);
      assert.match(end.searchParams.get("id_token_hint") ?? "", /^eyJ/);
      await page.getByRole("button", { name: "Yes, sign me out" }).click();
      await page.waitForURL((u) => u.origin === new URL(s.url).origin);
      await page.getByRole("button", { name: "Sign in" }).click();
      // The provider asks for the login again: its session ended with ours.
      await page.waitForURL((u) => u.origin === idp.issuer);
      await page.locator('input[name="login"]').waitFor();
      assertNoProblems(run);
    } finally {
      await run.context.close();
    }
  });

  test("the authorization request used PKCE S256 and a code the page exchanged itself", async () => {
    const run = await openPage(browser, `${s.url}/`);
    const { page } = run;
    const requests: { url: string; method: string; body?: string }[] = [];
    page.on("request", (r) => requests.push({ url: r.url(), method: r.method(), body: r.postData() ?? undefined }));
    try {
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForURL((u) => u.origin === idp.issuer);
      await page.locator('input[name="login"]').fill("oidc-pete");
      await page.locator('input[name="password"]').fill("any");
      await page.getByRole("button", { name: "Sign-in" }).click();
      await page.getByRole("button", { name: "Continue" }).click();
      await page.getByRole("navigation", { name: "Lists" }).getByRole("link", { name: "Tasks" }).waitFor({ timeout: 20_000 });
      const auth = new URL(requests.find((r) => r.url.startsWith(`${idp.issuer}/auth`))!.url);
      assert.equal(auth.searchParams.get("response_type"), "code");
      assert.equal(auth.searchParams.get("code_challenge_method"), "S256");
      assert.match(auth.searchParams.get("code_challenge")!, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(auth.searchParams.get("client_id"), CLIENT_ID);
      assert.equal(auth.searchParams.get("redirect_uri"), `${s.url}/`);
      const exchange = requests.find((r) => r.method === "POST" && r.url.startsWith(`${idp.issuer}/token`))!;
      const form = new URLSearchParams(exchange.body);
      assert.equal(form.get("grant_type"), "authorization_code");
      assert.match(form.get("code_verifier")!, /^[A-Za-z0-9_-]{43}$/);
      // A forged callback (state not started here) is refused in words.
      await page.goto(`${s.url}/?code=forged&state=forged`);
      const alert = page.getByRole("alert");
      await alert.waitFor();
      assert.match(await alert.innerText(), /does not belong to a sign-in started here/);
      // The development endpoint does not exist with an issuer.
      const r = await call("POST", `${s.url}/_taskdrop/web/token`, { json: { user: "x" }, headers: { origin: s.url } });
      assert.equal(r.status, 404);
      assertNoProblems(run);
    } finally {
      await run.context.close();
    }
  });
});
