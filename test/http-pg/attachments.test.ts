// test/http/attachments.test.ts on the PostgreSQL store (skipped with the reason when it is not reachable).
import { onPostgres } from "../helpers/on-postgres.js";

await onPostgres("http/attachments", () => import("../http/attachments.test.js"));
