// The web page at `/` (files built into dist/public) and, in development mode only, the page's
// sign-in: POST /_taskdrop/web/token mints a development token for a user name, for this
// server's own page and nobody else (see same-origin.ts). With --auth-issuer the route does not
// exist: the page signs in at the issuer instead.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { mintToken, type SigningKey } from "../../auth/dev-issuer.js";
import type { Config } from "../../config.js";
import { errors } from "../../domain/errors.js";
import { sendError } from "../graph-errors.js";
import type { UrlSettings } from "../public-url.js";
import { jsonBody } from "../reply.js";
import { foreignOriginReason } from "../same-origin.js";
import { PAGE_DIR, chooseEncoding, encodedBody, loadPage, notModified, pageCsp, pageSettings, representationTag, type PageFile } from "../web-page.js";

export interface WebEnv {
  config: Config;
  urls: UrlSettings;
  /** The development signing key; undefined with --auth-issuer. */
  devKey: SigningKey | undefined;
  /** Where the built page is (tests point elsewhere). */
  pageDir?: string;
}

/** A development user name: what `taskdrop token --user` takes, kept to a safe alphabet. */
const USER = /^[\p{L}\p{N}._@+-]{1,64}$/u;
const DEV_TOKEN_SECONDS = 8 * 3600;

export function webRoutes(app: FastifyInstance, env: WebEnv): void {
  const settings = pageSettings(env.config.auth);
  const csp = pageCsp(settings);
  let files: Map<string, PageFile> | undefined;
  const page = () => (files ??= loadPage(env.pageDir ?? PAGE_DIR, settings));

  const serve = (path: string, req: FastifyRequest, reply: FastifyReply) => {
    const all = page();
    if (!all) {
      return sendError(reply, errors.unavailable("The web page is not built: run `npm run build` (or `npm start`) in the Taskdrop checkout."));
    }
    const f = all.get(path);
    if (!f) return sendError(reply, errors.notFound(`The page has no file ${path}.`));
    const encoding = chooseEncoding(req.headers["accept-encoding"], f.compressible);
    reply
      .header("content-type", f.type)
      .header("cache-control", f.immutable ? "public, max-age=31536000, immutable" : "no-cache")
      .header("etag", representationTag(f, encoding))
      .header("x-content-type-options", "nosniff");
    if (f.compressible) reply.header("vary", "Accept-Encoding");
    if (path === "/") {
      reply
        .header("content-security-policy", csp)
        // The OIDC callback carries the authorization code in the URL: never leak it as a Referer.
        .header("referrer-policy", "no-referrer")
        .header("cross-origin-opener-policy", "same-origin")
        .header("x-frame-options", "DENY");
    }
    if (notModified(req.headers["if-none-match"], f)) return reply.code(304).send();
    if (encoding !== "identity") reply.header("content-encoding", encoding);
    return reply.code(200).send(encodedBody(f, encoding));
  };

  app.get("/", (req, reply) => serve("/", req, reply));
  app.get<{ Params: { file: string } }>("/assets/:file", (req, reply) => serve(`/assets/${req.params.file}`, req, reply));

  if (env.devKey) {
    const key = env.devKey;
    app.post("/_taskdrop/web/token", async (req, reply) => {
      const foreign = foreignOriginReason(req.headers, env.urls);
      if (foreign) return sendError(reply, errors.accessDenied(`Development tokens are for this server's own page. ${foreign}`));
      const body = jsonBody(req) as { user?: unknown } | undefined;
      const user = typeof body?.user === "string" ? body.user.trim() : undefined;
      if (!user || !USER.test(user)) {
        return sendError(reply, errors.invalid("The user must be 1 to 64 letters, digits or . _ @ + - (for example alice)."));
      }
      const token = await mintToken(key, { user, expiresInSeconds: DEV_TOKEN_SECONDS });
      // A token is a secret: no cache may keep it.
      reply.header("cache-control", "no-store");
      return reply.code(200).type("application/json").send(JSON.stringify({ token_type: "Bearer", access_token: token, expires_in: DEV_TOKEN_SECONDS, user }));
    });
  }
}
