// The verified-token cache, around the real development-token verifier.
import assert from "node:assert/strict";
import { test } from "node:test";
import { mintToken, newSigningKeyJson, parseSigningKey } from "../../src/auth/dev-issuer.js";
import { cachingVerifier } from "../../src/auth/token-cache.js";
import { createVerifier, type TokenVerifier } from "../../src/auth/verifier.js";
import { GraphError } from "../../src/domain/errors.js";

async function setup(opts: { size?: number; now?: () => number } = {}) {
  const key = await parseSigningKey(await newSigningKeyJson());
  const real = createVerifier({ mode: "dev" }, key);
  let calls = 0;
  const counted: TokenVerifier = { verify: (a) => (calls++, real.verify(a)) };
  return { key, cached: cachingVerifier(counted, opts), calls: () => calls };
}

test("a verified token is verified once, then answered from the cache with the same principal", async () => {
  const { key, cached, calls } = await setup();
  const auth = `Bearer ${await mintToken(key, { user: "alice" })}`;
  const first = await cached.verify(auth);
  const second = await cached.verify(auth);
  assert.deepEqual(second, first);
  assert.equal(calls(), 1);
});

test("past its exp the token is verified again (and refused by the real verifier when really expired)", async () => {
  let clock = Date.now();
  const { key, cached, calls } = await setup({ now: () => clock });
  const auth = `Bearer ${await mintToken(key, { user: "alice", expiresInSeconds: 60 })}`;
  await cached.verify(auth);
  clock += 61_000;
  await cached.verify(auth); // the real clock still accepts it; the cache no longer does
  assert.equal(calls(), 2);
  const expired = `Bearer ${await mintToken(key, { user: "bob", expiresInSeconds: -10 })}`;
  await assert.rejects(cached.verify(expired), GraphError);
});

test("refusals are never cached; the cache is bounded, least recently used out first", async () => {
  const { key, cached, calls } = await setup({ size: 2 });
  await assert.rejects(cached.verify("Bearer a.b.c"), GraphError);
  await assert.rejects(cached.verify("Bearer a.b.c"), GraphError);
  assert.equal(calls(), 2);
  const [a, b, c] = await Promise.all(["a", "b", "c"].map(async (u) => `Bearer ${await mintToken(key, { user: u })}`));
  await cached.verify(a!);
  await cached.verify(b!);
  await cached.verify(a!); // a is now the most recent
  await cached.verify(c!); // evicts b
  const before = calls();
  await cached.verify(a!);
  assert.equal(calls(), before, "a stayed");
  await cached.verify(b!);
  assert.equal(calls(), before + 1, "b was evicted");
});
