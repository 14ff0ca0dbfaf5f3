// @tus/server v2 with @tus/file-store on a plain node:http server, as its documentation sets it up.
// Upload URLs are /files/{id}; GET on a finished upload returns its bytes.
import { createServer } from "node:http";
import { FileStore } from "@tus/file-store";
import { Server } from "@tus/server";
import { listenAndReport } from "./raw-common.js";

const dir = process.argv[2];
if (!dir) throw new Error("usage: tus.js <data-dir>");

const tus = new Server({ path: "/files", datastore: new FileStore({ directory: dir }) });
const server = createServer((req, res) => {
  tus.handle(req, res).catch((e) => {
    if (!res.headersSent) {
      res.writeHead(500);
      res.end(String(e));
    } else res.destroy();
  });
});
listenAndReport(server);
