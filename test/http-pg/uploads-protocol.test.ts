// test/http/uploads-protocol.test.ts on the PostgreSQL store (skipped with the reason when it is not reachable).
import { onPostgres } from "../helpers/on-postgres.js";

await onPostgres("http/uploads-protocol", () => import("../http/uploads-protocol.test.js"));
