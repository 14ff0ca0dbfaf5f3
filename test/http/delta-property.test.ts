// Property: clients that keep a copy through delta end with exactly the server's state, whatever
// the interleaving of creates, updates and deletes (some committed while a client is mid-round),
// page sizes, rounds left half-way and resumed, and a server restart in the middle.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import fc from "fast-check";
import { call } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { enc, reconnect } from "./_foundation.js";

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

type Item = Record<string, unknown> & { id: string };

/** One stream's local copy: what a sync client keeps, and where it is in its rounds. */
class Replica {
  readonly items = new Map<string, Item>();
  private next: string | undefined;
  private delta: string | undefined;
  constructor(private readonly start: string) {}

  /** One request: the round's next page, or a new round from the deltaLink (or from the start). */
  async step(token: string, pageSize: number): Promise<"page" | "roundEnd"> {
    const url = this.next ?? this.delta ?? this.start;
    const r = await call("GET", url, { token, headers: { prefer: `odata.maxpagesize=${pageSize}` } });
    assert.equal(r.status, 200, `${url}: ${r.text}`);
    assert.ok(r.json.value.length <= pageSize);
    for (const e of r.json.value as Item[]) {
      if (e["@removed"]) this.items.delete(e.id);
      else this.items.set(e.id, e);
    }
    this.next = r.json["@odata.nextLink"];
    if (this.next) return "page";
    this.delta = r.json["@odata.deltaLink"];
    assert.ok(this.delta, "a page without nextLink carries the deltaLink");
    return "roundEnd";
  }

  /** Finishes the round in progress, then runs one more whole round (catching up to now). */
  async catchUp(token: string): Promise<void> {
    while ((await this.step(token, 3)) === "page");
    while ((await this.step(token, 3)) === "page");
  }
}

type Op =
  | { op: "create"; list: number; title: string }
  | { op: "update"; list: number; pick: number; title: string }
  | { op: "delete"; list: number; pick: number }
  | { op: "renameList"; list: number; name: string }
  | { op: "step"; client: number; pageSize: number }
  | { op: "stepDuringWrite"; client: number; pageSize: number; list: number; title: string };

const LISTS = 2;
const CLIENTS = 3;
const text = fc.string({ minLength: 1, maxLength: 12 }).filter((x) => x.trim().length > 0);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("create" as const), list: fc.nat(LISTS - 1), title: text }),
  fc.record({ op: fc.constant("update" as const), list: fc.nat(LISTS - 1), pick: fc.nat(), title: text }),
  fc.record({ op: fc.constant("delete" as const), list: fc.nat(LISTS - 1), pick: fc.nat() }),
  fc.record({ op: fc.constant("renameList" as const), list: fc.nat(LISTS - 1), name: text }),
  fc.record({ op: fc.constant("step" as const), client: fc.nat(CLIENTS - 1), pageSize: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ op: fc.constant("stepDuringWrite" as const), client: fc.nat(CLIENTS - 1), pageSize: fc.integer({ min: 1, max: 4 }), list: fc.nat(LISTS - 1), title: text }),
);

let run = 0;

async function serverState(token: string, url: string): Promise<Map<string, Item>> {
  const r = await call("GET", `${url}?$top=999`, { token });
  assert.equal(r.status, 200);
  return new Map((r.json.value as Item[]).map((i) => [i.id, i]));
}

test("every client that applies each round ends with exactly the server's lists and tasks", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 24 }), fc.nat(), async (ops, restartAt) => {
      const token = await s.token({ user: `delta-prop-${run++}` });
      const todo = `${s.url}/v1.0/me/todo`;
      const lists: string[] = [];
      for (let i = 0; i < LISTS; i++) lists.push((await call("POST", `${todo}/lists`, { token, json: { displayName: `L${i}` } })).json.id);
      const tasksUrl = (i: number) => `${todo}/lists/${enc(lists[i]!)}/tasks`;
      const live: string[][] = lists.map(() => []);
      // Each client keeps the lists and the tasks of every list, each stream with its own links.
      const clients = Array.from({ length: CLIENTS }, () => ({ lists: new Replica(`${todo}/lists/delta()`), tasks: lists.map((_, i) => new Replica(`${tasksUrl(i)}/delta()`)) }));
      const create = async (list: number, title: string) => {
        const r = await call("POST", tasksUrl(list), { token, json: { title } });
        assert.equal(r.status, 201);
        live[list]!.push(r.json.id);
      };
      const cut = restartAt % (ops.length + 1);
      for (const [i, o] of ops.entries()) {
        if (i === cut) {
          await s.restart();
          await reconnect(s.url);
        }
        switch (o.op) {
          case "create":
            await create(o.list, o.title);
            break;
          case "update": {
            const ids = live[o.list]!;
            if (ids.length === 0) break;
            const r = await call("PATCH", `${tasksUrl(o.list)}/${enc(ids[o.pick % ids.length]!)}`, { token, json: { title: o.title } });
            assert.equal(r.status, 200);
            break;
          }
          case "delete": {
            const ids = live[o.list]!;
            if (ids.length === 0) break;
            const [id] = ids.splice(o.pick % ids.length, 1);
            assert.equal((await call("DELETE", `${tasksUrl(o.list)}/${enc(id!)}`, { token })).status, 204);
            break;
          }
          case "renameList":
            assert.equal((await call("PATCH", `${todo}/lists/${enc(lists[o.list]!)}`, { token, json: { displayName: o.name } })).status, 200);
            break;
          case "step":
          case "stepDuringWrite": {
            const c = clients[o.client]!;
            const streams = [c.lists, ...c.tasks];
            const writes = o.op === "stepDuringWrite" ? [create(o.list, o.title)] : [];
            await Promise.all([...streams.map((r) => r.step(token, o.pageSize)), ...writes]);
            break;
          }
        }
      }
      const listsNow = await serverState(token, `${todo}/lists`);
      for (const c of clients) {
        await c.lists.catchUp(token);
        assert.deepEqual(c.lists.items, listsNow);
        for (let i = 0; i < LISTS; i++) {
          await c.tasks[i]!.catchUp(token);
          assert.deepEqual(c.tasks[i]!.items, await serverState(token, tasksUrl(i)));
        }
      }
    }),
    { numRuns: 12 },
  );
});
