// The web page's files as the server sends them: built by Vite into dist/public at `npm run build`
// time, read once on first request, compressed once per encoding, and answered with caching
// headers (hashed assets are immutable; the HTML is revalidated) and, for the HTML, a strict CSP.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants as zlib, gzipSync } from "node:zlib";
import type { AuthConfig } from "../config.js";

/** Where `npm run build` puts the page: dist/public beside dist/src. */
export const PAGE_DIR = fileURLToPath(new URL("../../public/", import.meta.url));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
};
/** Binary formats that are already compressed gain nothing from gzip or brotli. */
const PRECOMPRESSED = new Set([".png", ".woff2"]);

export type Encoding = "br" | "gzip" | "identity";

export interface PageFile {
  type: string;
  /** Hashed file names never change content: cache them for a year. The HTML is revalidated. */
  immutable: boolean;
  etag: string;
  body: Buffer;
  compressible: boolean;
  encoded: Partial<Record<Exclude<Encoding, "identity">, Buffer>>;
}

/** What the page needs to know about the server, handed to it in a meta tag (no inline script). */
export type PageSettings = { auth: "dev" } | { auth: "oidc"; issuer: string; clientId?: string; scopes?: string };

export function pageSettings(auth: AuthConfig): PageSettings {
  if (auth.mode === "dev") return { auth: "dev" };
  return { auth: "oidc", issuer: auth.issuer!, ...(auth.web ? { clientId: auth.web.clientId, scopes: auth.web.scopes } : {}) };
}

/**
 * The page's Content-Security-Policy: its own scripts and styles only, no inline code, no eval, no
 * framing, nowhere to post forms or send data but this server (and, with OIDC sign-in, the issuer,
 * whose discovery document and token endpoint the page calls).
 */
export function pageCsp(settings: PageSettings): string {
  const connect = ["'self'"];
  if (settings.auth === "oidc" && settings.clientId) connect.push(new URL(settings.issuer).origin);
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src ${connect.join(" ")}`,
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

const escapeAttr = (s: string) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** index.html with the server's settings in `<meta name="taskdrop-config">`. */
export function withSettings(html: string, settings: PageSettings): string {
  const meta = `<meta name="taskdrop-config" content="${escapeAttr(JSON.stringify(settings))}">`;
  const out = html.replace(/<meta name="taskdrop-config"[^>]*>/, meta);
  if (out === html) throw new Error("index.html has no <meta name=\"taskdrop-config\"> to fill in");
  return out;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

function etagOf(body: Buffer): string {
  return `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
}

/** The built page keyed by URL path ("/" for the HTML), or undefined when it was never built. */
export function loadPage(dir: string, settings: PageSettings): Map<string, PageFile> | undefined {
  if (!existsSync(join(dir, "index.html"))) return undefined;
  const files = new Map<string, PageFile>();
  for (const path of walk(dir)) {
    const rel = relative(dir, path).split(sep).join("/");
    const ext = extname(path).toLowerCase();
    let body = readFileSync(path);
    if (rel === "index.html") body = Buffer.from(withSettings(body.toString("utf8"), settings));
    files.set(rel === "index.html" ? "/" : `/${rel}`, {
      type: TYPES[ext] ?? "application/octet-stream",
      immutable: rel.startsWith("assets/"),
      etag: etagOf(body),
      body,
      compressible: !PRECOMPRESSED.has(ext) && body.length > 256,
      encoded: {},
    });
  }
  return files;
}

/** The best encoding the client accepts (q=0 refuses one), brotli first. */
export function chooseEncoding(acceptEncoding: string | undefined, compressible: boolean): Encoding {
  if (!compressible || !acceptEncoding) return "identity";
  const q = new Map<string, number>();
  for (const part of acceptEncoding.split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    if (!name) continue;
    const qp = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    const v = qp === undefined ? 1 : Number(qp.slice(2));
    q.set(name, Number.isFinite(v) ? v : 0);
  }
  const accepts = (e: string) => (q.get(e) ?? (q.has("*") ? q.get("*")! : 0)) > 0;
  if (accepts("br")) return "br";
  if (accepts("gzip")) return "gzip";
  return "identity";
}

/** The body in that encoding, compressed on first need and kept (the page is small). */
export function encodedBody(f: PageFile, e: Encoding): Buffer {
  if (e === "identity") return f.body;
  return (f.encoded[e] ??=
    e === "br"
      ? brotliCompressSync(f.body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: f.body.length } })
      : gzipSync(f.body, { level: 9 }));
}

/** The ETag of one representation: each encoding is a different sequence of bytes. */
export function representationTag(f: PageFile, e: Encoding): string {
  return e === "identity" ? f.etag : `${f.etag.slice(0, -1)}.${e === "br" ? "br" : "gz"}"`;
}

/** If-None-Match names this file (any of its representations), or is "*". */
export function notModified(ifNoneMatch: string | undefined, f: PageFile): boolean {
  if (!ifNoneMatch) return false;
  const base = f.etag.slice(1, -1);
  return ifNoneMatch.split(",").some((t) => {
    const tag = t.trim().replace(/^W\//, "");
    return tag === "*" || tag.replace(/^"|"$/g, "").replace(/\.(br|gz)$/, "") === base;
  });
}
