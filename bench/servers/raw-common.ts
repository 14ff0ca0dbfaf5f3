// Shared bits of the two raw node:http servers (baseline and sink): the tiny upload protocol they
// speak and the way they report their port to the harness.
import type { IncomingMessage, Server, ServerResponse } from "node:http";

/** Parses "bytes a-b/N" (0-based, inclusive end). */
export function parseContentRange(v: string | undefined): { start: number; end: number; total: number } | undefined {
  const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(v ?? "");
  if (!m) return undefined;
  const [start, end, total] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (end < start || end >= total) return undefined;
  return { start, end, total };
}

export function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Reads the whole (small) request body, for error paths that must drain before answering. */
export async function drain(req: IncomingMessage): Promise<void> {
  for await (const _ of req) void _;
}

/** Listens on an OS-chosen port on 127.0.0.1 and tells the harness which one. */
export function listenAndReport(server: Server): void {
  // Long-lived keep-alive connections from the load generator, as the other targets allow.
  server.keepAliveTimeout = 30_000;
  server.listen(0, "127.0.0.1", () => {
    const addr = server.address();
    process.send?.({ port: typeof addr === "object" && addr ? addr.port : 0 });
  });
  process.on("SIGTERM", () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  });
}
