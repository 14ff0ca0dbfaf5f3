// test/http/public-url.test.ts on the PostgreSQL store (skipped with the reason when it is not reachable).
import { onPostgres } from "../helpers/on-postgres.js";

await onPostgres("http/public-url", () => import("../http/public-url.test.js"));
