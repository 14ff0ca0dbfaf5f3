// test/http/rate-limit.test.ts on the PostgreSQL store (skipped with the reason when it is not reachable).
import { onPostgres } from "../helpers/on-postgres.js";

await onPostgres("http/rate-limit", () => import("../http/rate-limit.test.js"));
