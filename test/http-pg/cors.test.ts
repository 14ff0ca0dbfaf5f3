// test/http/cors.test.ts on the PostgreSQL store (skipped with the reason when it is not reachable).
import { onPostgres } from "../helpers/on-postgres.js";

await onPostgres("http/cors", () => import("../http/cors.test.js"));
