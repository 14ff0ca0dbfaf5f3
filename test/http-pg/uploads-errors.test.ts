// test/http/uploads-errors.test.ts on the PostgreSQL store (skipped with the reason when it is not reachable).
import { onPostgres } from "../helpers/on-postgres.js";

await onPostgres("http/uploads-errors", () => import("../http/uploads-errors.test.js"));
