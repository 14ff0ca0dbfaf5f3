// The raw baseline (fdatasync per range) and the raw sink (bytes dropped): two bench servers that
// speak the same minimal protocol, see servers/baseline.ts.
import { checkReadBack, expectStatus, header, sendRanges, type Http } from "../lib/http.js";
import { forkServer, stopChild } from "../lib/proc.js";
import type { Endpoint, RunningTarget, StartOptions, Target, UploadClient } from "./types.js";

function rawClient(endpoint: Endpoint, http: Http, readBack: "bytes" | "count"): UploadClient {
  const base = String(endpoint.baseUrl);
  return {
    async upload(data, rangeSize, onRange) {
      const created = await http.request("POST", `${base}/upload?size=${data.length}`);
      expectStatus(created, [201], "create");
      const url = new URL(header(created, "location") ?? "", base).href;
      await sendRanges(data.length, rangeSize, onRange, async (start, end, last) => {
        const res = await http.request(
          "PUT",
          url,
          { "content-type": "application/octet-stream", "content-range": `bytes ${start}-${end}/${data.length}` },
          data.subarray(start, end + 1),
        );
        expectStatus(res, [last ? 201 : 200], `PUT bytes ${start}-${end}`);
      });
      return url;
    },
    async verify(handle, data) {
      const url = handle as string;
      if (readBack === "bytes") return checkReadBack(await http.digest(url), data, `GET ${url}`);
      const res = await http.request("GET", url);
      expectStatus(res, [200], `GET ${url}`);
      const { received } = JSON.parse(res.body) as { received: number };
      if (received !== data.length) throw new Error(`sink received ${received} bytes, sent ${data.length}`);
    },
  };
}

async function startRaw(name: string, opts: StartOptions): Promise<RunningTarget> {
  const { child, port, tail } = await forkServer(name, [opts.dataDir]);
  return {
    pid: child.pid!,
    endpoint: { baseUrl: `http://127.0.0.1:${port}` },
    logTail: () => tail.toString(),
    stop: () => stopChild(child),
  };
}

export const baseline: Target = {
  name: "baseline",
  description: "raw node:http, each range written at its offset and fdatasync'd before the answer",
  verifies: "sha256",
  check() {},
  start: (opts) => startRaw("baseline", opts),
  client: (endpoint, http) => rawClient(endpoint, http, "bytes"),
};

export const sink: Target = {
  name: "sink",
  description: "raw node:http that counts and drops the bytes (ceiling for Node HTTP)",
  verifies: "length",
  check() {},
  start: (opts) => startRaw("sink", opts),
  client: (endpoint, http) => rawClient(endpoint, http, "count"),
};
