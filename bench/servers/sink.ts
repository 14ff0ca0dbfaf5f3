// The raw sink: the same protocol as the baseline, but bytes are counted and dropped. Nothing a
// Node HTTP upload server does can be faster on this machine, so it is the ceiling.
//   POST /upload?size=N -> 201 {id};  PUT /upload/{id} (Content-Range) -> 200 | 201;  GET /upload/{id} -> {size, received}
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { drain, listenAndReport, parseContentRange, reply } from "./raw-common.js";

const sessions = new Map<string, { size: number; received: number }>();

const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://x");
  const id = /^\/upload\/([0-9a-f]+)$/.exec(url.pathname)?.[1];
  const s = id ? sessions.get(id) : undefined;
  const handle = async (): Promise<void> => {
    if (req.method === "POST" && url.pathname === "/upload") {
      const size = Number(url.searchParams.get("size"));
      await drain(req);
      if (!Number.isSafeInteger(size) || size < 1) return reply(res, 400, { error: "size" });
      const newId = randomBytes(16).toString("hex");
      sessions.set(newId, { size, received: 0 });
      return reply(res, 201, { id: newId }, { location: `/upload/${newId}` });
    }
    if (!s) {
      await drain(req);
      return reply(res, 404, { error: "not found" });
    }
    if (req.method === "PUT") {
      const range = parseContentRange(req.headers["content-range"]);
      let n = 0;
      for await (const chunk of req as AsyncIterable<Buffer>) n += chunk.length;
      if (!range || range.total !== s.size || range.start !== s.received || range.end - range.start + 1 !== n) {
        return reply(res, 400, { error: "bad range", next: s.received });
      }
      s.received += n;
      return s.received === s.size ? reply(res, 201, { size: s.size }) : reply(res, 200, { next: s.received });
    }
    await drain(req);
    if (req.method === "GET") return reply(res, 200, s);
    reply(res, 405, { error: "method" });
  };
  handle().catch((e) => {
    if (!res.headersSent) reply(res, 500, { error: String(e) });
    else res.destroy();
  });
});
listenAndReport(server);
