// test/http/uploads-sizes.test.ts on the PostgreSQL store (skipped with the reason when it is not reachable).
import { onPostgres } from "../helpers/on-postgres.js";

await onPostgres("http/uploads-sizes", () => import("../http/uploads-sizes.test.js"));
