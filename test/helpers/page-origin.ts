// A browser test's own small origin on 127.0.0.1: serves the given files by path, 204 for the
// browser's own /favicon.ico (so it is no failure of the page), 404 for anything else.
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface PageOrigin {
  /** e.g. http://127.0.0.1:41234 */
  origin: string;
  close(): Promise<void>;
}

export async function pageOrigin(files: Record<string, { type: string; body: string }>): Promise<PageOrigin> {
  const server = http.createServer((req, res) => {
    const f = files[req.url ?? ""];
    if (f) {
      res.writeHead(200, { "content-type": f.type });
      res.end(f.body);
    } else {
      res.writeHead(req.url === "/favicon.ico" ? 204 : 404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
