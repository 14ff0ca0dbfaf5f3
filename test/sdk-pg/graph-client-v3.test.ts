// test/sdk/graph-client-v3.test.ts on the PostgreSQL store (skipped with the reason when it is not reachable).
import { onPostgres } from "../helpers/on-postgres.js";

await onPostgres("sdk/graph-client-v3", () => import("../sdk/graph-client-v3.test.js"));
