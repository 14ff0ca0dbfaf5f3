// Two Taskdrop instances on one PostgreSQL database: a delta round started on one continues on the
// other (its nextLink and deltaLink work there), and writes made through either while the round is
// paged are all in this round or the next — never lost.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { call } from "../helpers/http.js";
import { createTestSchema, postgresSkipReason, type TestSchema } from "../helpers/postgres.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const skip = (await postgresSkipReason()) ?? false;

let schema: TestSchema;
let a: TestServer;
let b: TestServer;
before(async () => {
  if (skip) return;
  schema = await createTestSchema();
  a = await startTestServer({ store: "postgres", databaseUrl: schema.url });
  b = await startTestServer({ store: "postgres", databaseUrl: schema.url });
});
after(async () => {
  if (skip) return;
  await Promise.all([a.close(), b.close()]);
  await schema.drop();
});

/** The same link on another instance. */
const on = (s: TestServer, link: string) => link.replace(/^http:\/\/[^/]+/, s.url);

test("a round paged on one instance continues on the other; concurrent writes through both are never lost", { skip }, async () => {
  const token = await a.token({ user: "delta-instances" });
  const todo = (s: TestServer) => `${s.url}/v1.0/me/todo`;
  const list = (await call("POST", `${todo(a)}/lists`, { token, json: { displayName: "Shared" } })).json.id;
  const tasks = (s: TestServer) => `${todo(s)}/lists/${encodeURIComponent(list)}/tasks`;
  const made = new Set<string>();
  const create = async (s: TestServer, title: string) => {
    const r = await call("POST", tasks(s), { token, json: { title } });
    assert.equal(r.status, 201, r.text);
    made.add(r.json.id);
  };
  for (let i = 0; i < 6; i++) await create(i % 2 ? a : b, `seed ${i}`);

  const local = new Map<string, string>();
  const apply = (value: Array<{ id: string; title?: string; "@removed"?: unknown }>) => {
    for (const e of value) {
      if (e["@removed"]) local.delete(e.id);
      else local.set(e.id, e.title!);
    }
  };
  // Page alternately on each instance, writing through the other one at every page.
  let url = `${tasks(a)}/delta()`;
  let deltaLink = "";
  for (let page = 0; ; page++) {
    const here = page % 2 ? b : a;
    const [r] = await Promise.all([call("GET", on(here, url), { token, headers: { prefer: "odata.maxpagesize=2" } }), create(page % 2 ? a : b, `during ${page}`)]);
    assert.equal(r.status, 200, r.text);
    apply(r.json.value);
    if (r.json["@odata.nextLink"]) {
      url = r.json["@odata.nextLink"];
      continue;
    }
    deltaLink = r.json["@odata.deltaLink"];
    break;
  }
  // The next round, on the other instance, brings whatever the first one did not.
  const next = await call("GET", on(b, deltaLink), { token });
  assert.equal(next.status, 200, next.text);
  apply(next.json.value);
  assert.deepEqual(new Set(local.keys()), made, "every task created, before or during the round, through either instance");
  const server = (await call("GET", `${tasks(b)}?$top=999`, { token })).json.value;
  assert.deepEqual(new Map(server.map((t: { id: string; title: string }) => [t.id, t.title])), local);
});
