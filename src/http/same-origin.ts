// Is this request from the Taskdrop page itself? The development token endpoint hands out tokens
// for any user name, so a page on another site (or one reaching a local server through DNS
// rebinding) must never get one: the browser's Origin must be this server's own origin, and
// without --public-url that origin must name the machine by a loopback name or an IP address,
// which a rebinding site cannot make the browser send.
import type { IncomingHttpHeaders } from "node:http";
import { publicBase, type UrlSettings } from "./public-url.js";

function hostOf(base: string): string {
  return new URL(base).hostname.toLowerCase().replace(/^\[|\]$/g, "");
}

/** localhost, *.localhost, or a literal IPv4/IPv6 address. */
export function isLoopbackOrAddress(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(h)) return h.split(".").every((o) => Number(o) <= 255);
  return h.includes(":") && /^[0-9a-f:.]+$/.test(h);
}

/** Undefined when the request comes from this server's own page; otherwise why not, in words. */
export function foreignOriginReason(headers: IncomingHttpHeaders, urls: UrlSettings): string | undefined {
  const origin = headers.origin;
  if (typeof origin !== "string" || origin === "" || origin === "null") {
    return "The request has no Origin: only the Taskdrop page in a browser may use this endpoint (use `taskdrop token` elsewhere).";
  }
  const site = headers["sec-fetch-site"];
  if (typeof site === "string" && site !== "same-origin") return `The request comes from another site (Sec-Fetch-Site: ${site}).`;
  const own = new URL(publicBase(headers, urls)).origin;
  let given: string;
  try {
    given = new URL(origin).origin;
  } catch {
    return "The Origin header is not a URL.";
  }
  if (given !== own) return `The Origin ${origin} is not this server's (${own}).`;
  if (!urls.publicUrl && !isLoopbackOrAddress(hostOf(own))) {
    return `The page was reached as ${hostOf(own)}, which is neither localhost nor an IP address; set --public-url to serve the page under a name.`;
  }
  return undefined;
}
