// The metadata group: `GET /{version}/$metadata`, the CSDL document `@odata.context` points into.
// It is public, as Graph's is (its `$metadata` answers without a token): it describes types, never data.
import { csdlDocument } from "../../../domain/csdl.js";
import type { RouteEnv } from "../../caller.js";
import type { RouteGroup } from "../../route-group.js";

let document: string | undefined;

export function metadataGroup(env: RouteEnv): RouteGroup {
  return {
    name: "metadata",
    routes: [
      (app) => {
        app.get(`/${env.version}/$metadata`, async (_req, reply) => {
          document ??= csdlDocument();
          return reply.code(200).type("application/xml").header("cache-control", "public, max-age=3600").send(document);
        });
      },
    ],
    async authorise() {},
  };
}
