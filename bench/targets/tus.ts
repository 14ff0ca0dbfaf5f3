// @tus/server + @tus/file-store (servers/tus.ts), driven with the tus 1.0 core protocol and the
// creation extension: POST with Upload-Length, then PATCH ranges at Upload-Offset.
import { checkReadBack, expectStatus, header, sendRanges } from "../lib/http.js";
import { forkServer, stopChild } from "../lib/proc.js";
import type { Target } from "./types.js";

const TUS = { "tus-resumable": "1.0.0" };

export const tus: Target = {
  name: "tus",
  description: "@tus/server v2 with @tus/file-store on node:http (no fsync)",
  verifies: "sha256",
  check() {},
  async start(opts) {
    const { child, port, tail } = await forkServer("tus", [opts.dataDir]);
    return {
      pid: child.pid!,
      endpoint: { baseUrl: `http://127.0.0.1:${port}` },
      logTail: () => tail.toString(),
      stop: () => stopChild(child),
    };
  },
  client(endpoint, http) {
    const base = String(endpoint.baseUrl);
    return {
      async upload(data, rangeSize, onRange) {
        const created = await http.request("POST", `${base}/files`, { ...TUS, "upload-length": String(data.length) });
        expectStatus(created, [201], "tus create");
        const url = new URL(header(created, "location") ?? "", base).href;
        await sendRanges(data.length, rangeSize, onRange, async (start, end) => {
          const res = await http.request(
            "PATCH",
            url,
            { ...TUS, "upload-offset": String(start), "content-type": "application/offset+octet-stream" },
            data.subarray(start, end + 1),
          );
          expectStatus(res, [204], `tus PATCH at ${start}`);
          if (header(res, "upload-offset") !== String(end + 1)) {
            throw new Error(`tus PATCH at ${start}: Upload-Offset ${header(res, "upload-offset")}, expected ${end + 1}`);
          }
        });
        return url;
      },
      async verify(handle, data) {
        checkReadBack(await http.digest(handle as string, TUS), data, `GET ${handle as string}`);
      },
    };
  },
};
