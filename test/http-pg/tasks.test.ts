// test/http/tasks.test.ts on the PostgreSQL store (skipped with the reason when it is not reachable).
import { onPostgres } from "../helpers/on-postgres.js";

await onPostgres("http/tasks", () => import("../http/tasks.test.js"));
