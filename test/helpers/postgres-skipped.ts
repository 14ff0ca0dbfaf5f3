// Stands in for the PostgreSQL pass of scripts/run-tests.mjs when PostgreSQL is not reachable: one
// skipped test whose name says which suites did not run there, and why (a machine without
// PostgreSQL still passes, and says so).
import { test } from "node:test";
import { postgresSkipReason } from "./postgres.js";

const reason = (await postgresSkipReason()) ?? "PostgreSQL became reachable after the check";
test(`${process.env.TASKDROP_TEST_SUITES ?? "the store-dependent suites"} on PostgreSQL: skipped, ${reason}`, { skip: true }, () => {});
