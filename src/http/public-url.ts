// The base of every absolute URL Taskdrop emits: --public-url, else the request's scheme and Host
// (X-Forwarded-* only with --trust-proxy). A Host that is not a plain host[:port] never reaches a URL.
import type { IncomingHttpHeaders } from "node:http";

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

export function isValidHost(h: string): boolean {
  if (!HOST.test(h) || h.length > 260) return false;
  const port = /:(\d+)$/.exec(h.startsWith("[") ? h.slice(h.indexOf("]")) : h);
  return !port || Number(port[1]) <= 65535;
}

export interface UrlSettings {
  publicUrl?: string;
  trustProxy: boolean;
  https: boolean;
  /** host:port the server listens on; used when the request's Host is absent or invalid. */
  fallbackHost: () => string;
}

function first(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  return s?.split(",")[0]?.trim();
}

export function publicBase(headers: IncomingHttpHeaders, s: UrlSettings): string {
  if (s.publicUrl) return s.publicUrl;
  let proto = s.https ? "https" : "http";
  let host: string | undefined;
  if (s.trustProxy) {
    const fp = first(headers["x-forwarded-proto"])?.toLowerCase();
    if (fp === "http" || fp === "https") proto = fp;
    const fh = first(headers["x-forwarded-host"]);
    if (fh && isValidHost(fh)) host = fh;
  }
  if (!host) {
    const h = headers.host;
    host = h && isValidHost(h) ? h : s.fallbackHost();
  }
  return `${proto}://${host}`;
}
