// The raw Node baseline: the least a durable per-range upload server can do in Node. Each PUT is
// written at its offset with a FileHandle and fdatasync'd before the answer; the session state
// (size, committed offset) lives in memory only. The floor Taskdrop is measured against.
//   POST /upload?size=N        -> 201 {id}
//   PUT  /upload/{id}          Content-Range: bytes a-b/N, body = those bytes -> 200 {next} | 201 {size}
//   GET  /upload/{id}          -> the stored bytes
import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { join } from "node:path";
import { drain, listenAndReport, parseContentRange, reply } from "./raw-common.js";

const dir = process.argv[2];
if (!dir) throw new Error("usage: baseline.js <data-dir>");

interface Session {
  size: number;
  offset: number;
  busy: boolean;
  path: string;
}
const sessions = new Map<string, Session>();

async function put(req: IncomingMessage, res: ServerResponse, s: Session): Promise<void> {
  const range = parseContentRange(req.headers["content-range"]);
  const length = Number(req.headers["content-length"]);
  if (!range || range.total !== s.size || range.start !== s.offset || range.end - range.start + 1 !== length) {
    await drain(req);
    return reply(res, range && range.start !== s.offset ? 416 : 400, { error: "bad range", next: s.offset });
  }
  if (s.busy) {
    await drain(req);
    return reply(res, 409, { error: "busy" });
  }
  s.busy = true;
  const fh = await open(s.path, "r+");
  try {
    let pos = range.start;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      if (pos + chunk.length > range.end + 1) throw new Error("body longer than the range");
      await fh.write(chunk, 0, chunk.length, pos);
      pos += chunk.length;
    }
    if (pos !== range.end + 1) throw new Error("body shorter than the range");
    await fh.datasync();
    s.offset = pos;
  } catch (e) {
    if (!res.headersSent && !req.destroyed) reply(res, 400, { error: String(e) });
    return;
  } finally {
    s.busy = false;
    await fh.close();
  }
  if (s.offset === s.size) reply(res, 201, { size: s.size });
  else reply(res, 200, { next: s.offset });
}

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
      const path = join(dir, newId);
      await writeFile(path, "");
      sessions.set(newId, { size, offset: 0, busy: false, path });
      return reply(res, 201, { id: newId }, { location: `/upload/${newId}` });
    }
    if (!s) {
      await drain(req);
      return reply(res, 404, { error: "not found" });
    }
    if (req.method === "PUT") return put(req, res, s);
    if (req.method === "GET") {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": s.offset });
      createReadStream(s.path).pipe(res);
      return;
    }
    await drain(req);
    reply(res, 405, { error: "method" });
  };
  handle().catch((e) => {
    if (!res.headersSent) reply(res, 500, { error: String(e) });
    else res.destroy();
  });
});
listenAndReport(server);
