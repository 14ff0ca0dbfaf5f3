// test/sdk/kiota-core.test.ts on the PostgreSQL store (skipped with the reason when it is not reachable).
import { onPostgres } from "../helpers/on-postgres.js";

await onPostgres("sdk/kiota-core", () => import("../sdk/kiota-core.test.js"));
