// Shared bits of the lists/tasks/auth/odata/errors black-box tests (not a test file itself).
import assert from "node:assert/strict";
import { devUpn, devUserOid } from "../../src/auth/dev-issuer.js";
import { call, graphError, type Res } from "../helpers/http.js";

export const VERSIONS = ["v1.0", "beta"] as const;

/** The three ways to name the caller's own To Do: `/me`, `/users/{oid}`, `/users/{upn}`. */
export function principals(user: string): { name: string; path: string }[] {
  return [
    { name: "/me", path: "me" },
    { name: "/users/{oid}", path: `users/${devUserOid(user)}` },
    { name: "/users/{upn}", path: `users/${encodeURIComponent(devUpn(user))}` },
  ];
}

export const oidOf = devUserOid;
export const upnOf = devUpn;

/** Asserts status and Graph error codes (outer, and inner when given); returns the error. */
export function expectError(r: Res, status: number, code: string, innerCode?: string) {
  assert.equal(r.status, status, `expected ${status} ${code}, got ${r.status} ${r.text.slice(0, 300)}`);
  const e = graphError(r);
  assert.equal(e.code, code, r.text);
  if (innerCode !== undefined) assert.equal(e.innerError.code, innerCode, r.text);
  assert.equal(r.headers.get("request-id"), e.innerError["request-id"]);
  assert.equal(r.headers.get("client-request-id"), e.innerError["client-request-id"]);
  return e;
}

/** The JSON a GET answers, for "nothing changed" comparisons. */
export async function snapshot(url: string, token: string): Promise<unknown> {
  const r = await call("GET", url, { token });
  return { status: r.status, json: r.json };
}

/** Runs `act`, which must fail, and asserts that `urls` read back exactly as before. */
export async function changesNothing(token: string, urls: string[], act: () => Promise<void>): Promise<void> {
  const before = await Promise.all(urls.map((u) => snapshot(u, token)));
  await act();
  const afterwards = await Promise.all(urls.map((u) => snapshot(u, token)));
  assert.deepEqual(afterwards, before);
}

/** A well-formed id of the given tag that was never issued (404, not 400). */
export function unknownId(tag: "AQMkL" | "AQMkT"): string {
  return `${tag}${"A".repeat(24)}=`;
}

export const enc = encodeURIComponent;

/**
 * After `TestServer.restart()` this process may still hold a keep-alive socket that the old server
 * closed, and the first request on it fails with "other side closed" (a client in another process
 * would retry the same way). One idempotent GET, retried, clears it out.
 */
export async function reconnect(base: string): Promise<void> {
  for (let i = 0; ; i++) {
    let status: number;
    try {
      status = (await call("GET", `${base}/_taskdrop/health`)).status;
    } catch (e) {
      if (i >= 3) throw e;
      continue;
    }
    assert.equal(status, 200, "health after restart");
    return;
  }
}
