// HOST is set by many shells and containers to the machine's name: it must never move the address
// `taskdrop serve` listens on. Only --host and TASKDROP_HOST do; an ignored HOST is said out loud.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ProcessServer } from "../helpers/process-server.js";

async function refused(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return false;
  } catch {
    return true;
  }
}

test("HOST in the environment is ignored (with a warning at start); the server listens on 127.0.0.1", async () => {
  const s = await ProcessServer.start({ host: null, env: { HOST: "127.0.0.2" } });
  try {
    assert.equal(s.host, "127.0.0.1");
    assert.equal((await fetch(`http://127.0.0.1:${s.port}/_taskdrop/health`)).status, 200);
    assert.ok(await refused(`http://127.0.0.2:${s.port}/_taskdrop/health`), "nothing listens on HOST's address");
    assert.match(s.stderr, /Warning: HOST=127\.0\.0\.2 is set in the environment and ignored: listening on 127\.0\.0\.1 \(use --host or TASKDROP_HOST/);
    assert.ok(s.stdout.split("\n").some((l) => l.includes('"event":"host_env_ignored"') && l.includes('"level":40')), s.stdout);
  } finally {
    await s.close();
  }
});

test("TASKDROP_HOST chooses the address, whatever HOST says; a HOST equal to it draws no warning", async () => {
  const s = await ProcessServer.start({ host: null, env: { TASKDROP_HOST: "127.0.0.2", HOST: "build-box-7" } });
  try {
    assert.equal(s.host, "127.0.0.2");
    assert.equal((await fetch(`http://127.0.0.2:${s.port}/_taskdrop/health`)).status, 200);
    assert.match(s.stderr, /HOST=build-box-7 is set in the environment and ignored: listening on 127\.0\.0\.2/);
  } finally {
    await s.close();
  }
  const same = await ProcessServer.start({ host: null, env: { HOST: "127.0.0.1" } });
  try {
    assert.equal(same.host, "127.0.0.1");
    assert.doesNotMatch(same.stderr, /ignored/);
  } finally {
    await same.close();
  }
});
