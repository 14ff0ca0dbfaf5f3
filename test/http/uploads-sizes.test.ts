// Uploads at the sizes where off-by-one mistakes live: empty, one byte, around the 4 MiB range limit,
// the 25 MiB maximum and one byte over it. Slices have random sizes up to the limit (seeded, so a
// failure can be replayed: the seed is in the test name), and every result is compared byte for byte.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { putRange, type TaskFixture } from "../helpers/fixtures.js";
import { call, graphError } from "../helpers/http.js";
import { startServerWithTask, type TestServer } from "../helpers/server.js";

const MiB = 1_048_576;
const LIMIT = 4 * MiB;
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** mulberry32: a tiny seeded PRNG, so a failing slice plan can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Slice lengths covering `size`: often exactly the limit, otherwise anything from 1 byte to it. */
function slicePlan(size: number, seed: number): number[] {
  const rand = prng(seed);
  const out: number[] = [];
  for (let left = size; left > 0; ) {
    const want = rand() < 0.3 ? LIMIT : 1 + Math.floor(rand() * LIMIT);
    const n = Math.min(want, left);
    out.push(n);
    left -= n;
  }
  return out;
}

let s: TestServer;
let f: TaskFixture;
before(async () => ({ s, f } = await startServerWithTask()));
after(() => s.close());

async function create(size: number, name: string) {
  return call("POST", `${f.taskUrl}/attachments/createUploadSession`, {
    token: f.token,
    json: { attachmentInfo: { attachmentType: "file", name, size, contentType: "application/x-test" } },
  });
}

/** Fetches the attachment behind a Location and checks every byte and the metadata. */
async function verify(location: string, data: Buffer, name: string): Promise<void> {
  const meta = await call("GET", location, { token: f.token, headers: { accept: "application/json" } });
  assert.equal(meta.status, 200, meta.text);
  assert.equal(meta.json.size, data.length);
  assert.equal(meta.json.name, name);
  assert.equal(meta.json.contentType, "application/x-test");
  const value = await call("GET", `${location}/$value`, { token: f.token });
  assert.equal(value.status, 200);
  assert.equal(value.headers.get("content-length"), String(data.length));
  assert.equal(value.headers.get("content-type"), "application/x-test");
  assert.equal(value.bytes.length, data.length);
  assert.equal(sha(value.bytes), sha(data), "the attachment's bytes are exactly the uploaded bytes");
  // The SHA-256 Taskdrop keeps is the ETag of $value.
  assert.equal(value.headers.get("etag"), `"${sha(data)}"`);
  if (data.length <= 64 * 1024) assert.equal(meta.json.contentBytes, data.toString("base64"));
}

const seed = Number(process.env.TASKDROP_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31));

for (const size of [1, LIMIT - 1, LIMIT, LIMIT + 1, 25 * MiB]) {
  test(`a ${size}-byte upload in random slices up to 4 MiB is byte-exact (seed ${seed})`, async () => {
    const data = randomBytes(size);
    const name = `size-${size}.bin`;
    const created = await create(size, name);
    assert.equal(created.status, 200, created.text);
    const url = created.json.uploadUrl;
    const plan = slicePlan(size, seed + size);
    let start = 0;
    let final;
    for (const [i, n] of plan.entries()) {
      const r = await putRange(url, data, start, start + n - 1);
      start += n;
      if (i < plan.length - 1) {
        assert.equal(r.status, 200, `slice ${i} (${n} bytes): ${r.text}`);
        assert.deepEqual(r.json.NextExpectedRanges, [String(start)]);
      } else {
        assert.equal(r.status, 201, `final slice (${n} bytes): ${r.text}`);
        final = r;
      }
    }
    await verify(final!.headers.get("location")!, data, name);
  });
}

test("a 0-byte upload completes with `Content-Range: bytes */0` and `Content-Length: 0`, idempotently", async () => {
  const created = await create(0, "empty.txt");
  assert.equal(created.status, 200, created.text);
  assert.deepEqual(created.json.nextExpectedRanges, ["0-"]);
  const url = created.json.uploadUrl;
  const empty = () => call("PUT", url, { body: Buffer.alloc(0), headers: { "content-type": "application/octet-stream", "content-range": "bytes */0" } });
  // No other Content-Range can name an empty range.
  const wrong = await call("PUT", url, { body: Buffer.alloc(0), headers: { "content-range": "bytes 0-0/0" } });
  assert.equal(wrong.status, 400);
  graphError(wrong);
  const r = await empty();
  assert.equal(r.status, 201, r.text);
  assert.equal(r.headers.get("content-length"), "0");
  const location = r.headers.get("location")!;
  assert.match(location, /\/Attachments\('[^']+'\)$/);
  await verify(location, Buffer.alloc(0), "empty.txt");
  // Again: the same answer, and still one attachment.
  const again = await empty();
  assert.equal(again.status, 201);
  assert.equal(again.headers.get("location"), location);
  const list = await call("GET", `${f.taskUrl}/attachments`, { token: f.token });
  assert.equal(list.json.value.filter((a: { name: string }) => a.name === "empty.txt").length, 1);
  const st = await call("GET", url);
  assert.deepEqual(st.json.nextExpectedRanges, []);
});

test("25 MiB + 1 is refused when the session is created (413), 25 MiB exactly is not", async () => {
  const over = await create(25 * MiB + 1, "big.bin");
  assert.equal(over.status, 413);
  assert.match(graphError(over).message, /26214400 bytes \(25 MiB\)/);
  const exact = await create(25 * MiB, "exact.bin");
  assert.equal(exact.status, 200);
  assert.equal((await call("DELETE", exact.json.uploadUrl)).status, 204);
});
