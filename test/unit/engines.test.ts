// `npm ci` on the Node the project supports prints no EBADENGINE warning: every package the lock
// file installs declares an engines.node range this Node satisfies (issue 19 item 10).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import semver from "semver";

const lock = JSON.parse(readFileSync(new URL("../../../package-lock.json", import.meta.url), "utf8")) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
};
const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { engines: { node: string } };

test("every locked package runs on this Node, which the project's own engines range admits", () => {
  assert.ok(semver.satisfies(process.versions.node, pkg.engines.node), `package.json engines ${pkg.engines.node}`);
  const misfits: string[] = [];
  for (const [path, p] of Object.entries(lock.packages)) {
    const range = Array.isArray(p.engines) ? undefined : p.engines?.node;
    if (path && range && !semver.satisfies(process.versions.node, range)) misfits.push(`${path}@${p.version}: node ${range}`);
  }
  assert.deepEqual(misfits, [], `these would warn EBADENGINE on Node ${process.versions.node}`);
});
