// `$metadata`: the CSDL document every `@odata.context` points into. It must be served where the
// contexts say, parse as XML, be self-consistent, and declare every member the server answers with.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { makeSession, makeTask } from "../helpers/fixtures.js";
import { call } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { VERSIONS, expectError } from "./_foundation.js";

type Node = Record<string, unknown>;
const many = (x: unknown): Node[] => (x === undefined ? [] : Array.isArray(x) ? (x as Node[]) : [x as Node]);

/** The parsed document's structured types: name → base and declared members with their types. */
interface Model {
  types: Map<string, { base?: string; members: Map<string, string>; open: boolean }>;
  enums: Map<string, Set<string>>;
  schema: Node;
}

function parseModel(xml: string): Model {
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(xml) as Node;
  const schema = ((doc["edmx:Edmx"] as Node)["edmx:DataServices"] as Node).Schema as Node;
  const types: Model["types"] = new Map();
  for (const t of [...many(schema.EntityType), ...many(schema.ComplexType)]) {
    const members = new Map<string, string>();
    for (const m of [...many(t.Property), ...many(t.NavigationProperty)]) members.set(m.Name as string, m.Type as string);
    types.set(t.Name as string, { ...(t.BaseType ? { base: (t.BaseType as string).replace(/^graph\./, "") } : {}), members, open: t.OpenType === "true" });
  }
  const enums: Model["enums"] = new Map(many(schema.EnumType).map((e) => [e.Name as string, new Set(many(e.Member).map((m) => m.Name as string))]));
  return { types, enums, schema };
}

const typeName = (ref: string) => (/^Collection\((.*)\)$/.exec(ref)?.[1] ?? ref).replace(/^(graph|microsoft\.graph)\./, "");

/** A member's declared type on `type` or one of its bases. */
function memberType(m: Model, type: string, member: string): string | undefined {
  for (let t = m.types.get(type); t; t = t.base ? m.types.get(t.base) : undefined) {
    const found = t.members.get(member);
    if (found) return found;
  }
  return undefined;
}

/** Whether `type` or one of its bases is declared open. */
function openType(m: Model, type: string): boolean {
  for (let t = m.types.get(type); t; t = t.base ? m.types.get(t.base) : undefined) if (t.open) return true;
  return false;
}

/** Every member of a JSON value is declared on its type, recursively through complex values and enums. */
function assertDeclared(m: Model, type: string, value: Record<string, unknown>, where: string): void {
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith("@odata.")) continue;
    const declared = memberType(m, type, k);
    // An open type (openTypeExtension) carries the client's own properties besides its declared ones.
    if (!declared && openType(m, type)) continue;
    assert.ok(declared, `${where}: ${type} declares no member ${k}`);
    const inner = typeName(declared);
    const values = Array.isArray(v) ? v : [v];
    for (const x of values) {
      if (x === null) continue;
      if (m.enums.has(inner)) assert.ok(m.enums.get(inner)!.has(x as string), `${where}.${k}: ${String(x)} is not a member of ${inner}`);
      else if (m.types.has(inner) && typeof x === "object") assertDeclared(m, inner, x as Record<string, unknown>, `${where}.${k}`);
    }
  }
}

let s: TestServer;
let model: Model;
before(async () => {
  s = await startTestServer();
  model = parseModel((await call("GET", `${s.url}/v1.0/$metadata`)).text);
});
after(() => s.close());

describe("GET /{version}/$metadata", () => {
  test("served without a token on both versions, as XML that parses, with the container and the To Do types", async () => {
    for (const version of VERSIONS) {
      const r = await call("GET", `${s.url}/${version}/$metadata`);
      assert.equal(r.status, 200);
      assert.match(r.headers.get("content-type") ?? "", /^application\/xml/);
      assert.equal(XMLValidator.validate(r.text), true);
    }
    const container = model.schema.EntityContainer as Node;
    assert.equal(container.Name, "GraphService");
    assert.equal((container.Singleton as Node).Name, "me");
    assert.equal((container.EntitySet as Node).Name, "users");
    for (const t of ["todo", "todoTaskList", "todoTask", "taskFileAttachment", "attachmentSession", "checklistItem", "linkedResource", "openTypeExtension", "uploadSession"]) {
      assert.ok(model.types.has(t), `${t} is declared`);
    }
    assert.deepEqual([...model.enums.get("taskStatus")!], ["notStarted", "inProgress", "completed", "waitingOnOthers", "deferred"]);
  });

  test("every type it names is declared in it (no dangling graph.* reference)", () => {
    const refs = [...new Set([...JSON.stringify(model.schema).matchAll(/"(?:Collection\()?graph\.(\w+)\)?"/g)].map((x) => x[1]!))];
    assert.ok(refs.length > 20, `only ${refs.length} references`);
    for (const r of refs) assert.ok(model.types.has(r) || model.enums.has(r), `graph.${r} is named but not declared`);
    const operations = [...many(model.schema.Function), ...many(model.schema.Action)].map((o) => `${o.Name as string}(${(many(o.Parameter)[0]!.Type as string)})`);
    assert.deepEqual(operations.sort(), ["createUploadSession(Collection(graph.attachmentBase))", "delta(Collection(graph.todoTask))", "delta(Collection(graph.todoTaskList))"]);
  });

  test("other methods are 405, a path below it is 400, and a token does not change the answer", async () => {
    const post = await call("POST", `${s.url}/v1.0/$metadata`, { json: {} });
    expectError(post, 405, "Request_BadRequest");
    const below = await call("GET", `${s.url}/v1.0/$metadata/todoTask`);
    assert.equal(below.status, 400);
    const withToken = await call("GET", `${s.url}/v1.0/$metadata`, { token: await s.token() });
    assert.equal(withToken.text, (await call("GET", `${s.url}/v1.0/$metadata`)).text);
  });
});

describe("what the server answers is what $metadata declares", () => {
  test("lists, tasks (every property set), attachments, sessions, upload sessions and delta pages", async () => {
    const token = await s.token({ user: "metadata-user" });
    const f = await makeTask(s.url, token);
    const full = await call("PATCH", f.taskUrl, {
      token,
      json: {
        body: { content: "notes", contentType: "text" },
        categories: ["Blue category"],
        importance: "high",
        isReminderOn: true,
        reminderDateTime: { dateTime: "2030-01-01T09:00:00", timeZone: "UTC" },
        startDateTime: { dateTime: "2029-12-30T00:00:00", timeZone: "UTC" },
        dueDateTime: { dateTime: "2030-01-02T00:00:00", timeZone: "UTC" },
        recurrence: { pattern: { type: "weekly", interval: 1, daysOfWeek: ["monday"], firstDayOfWeek: "sunday" }, range: { type: "noEnd", startDate: "2030-01-02" } },
      },
    });
    assert.equal(full.status, 200, full.text);
    const small = await call("POST", `${f.taskUrl}/attachments`, {
      token,
      json: { "@odata.type": "#microsoft.graph.taskFileAttachment", name: "a.txt", contentType: "text/plain", contentBytes: Buffer.from("hi").toString("base64") },
    });
    assert.equal(small.status, 201, small.text);
    await makeSession(f, 10);
    const step = await call("POST", `${f.taskUrl}/checklistItems`, { token, json: { displayName: "step", isChecked: true } });
    assert.equal(step.status, 201, step.text);
    const link = await call("POST", `${f.taskUrl}/linkedResources`, { token, json: { webUrl: "https://example.com/x", applicationName: "App", displayName: "X", externalId: "x-1" } });
    assert.equal(link.status, 201, link.text);
    const ext = { "@odata.type": "microsoft.graph.openTypeExtension", extensionName: "com.example.meta", colour: "red", nested: { a: [1, 2] } };
    assert.equal((await call("POST", `${f.taskUrl}/extensions`, { token, json: ext })).status, 201);
    const listUrl = `${f.todo}/lists/${encodeURIComponent(f.listId)}`;
    assert.equal((await call("POST", `${listUrl}/extensions`, { token, json: ext })).status, 201);
    const answers: { url: string; type: string; many: boolean }[] = [
      { url: `${f.todo}/lists`, type: "todoTaskList", many: true },
      { url: `${f.todo}/lists/${encodeURIComponent(f.listId)}`, type: "todoTaskList", many: false },
      { url: `${f.todo}/lists/${encodeURIComponent(f.listId)}/tasks`, type: "todoTask", many: true },
      { url: f.taskUrl, type: "todoTask", many: false },
      { url: `${f.taskUrl}/attachments`, type: "taskFileAttachment", many: true },
      { url: small.headers.get("location")!, type: "taskFileAttachment", many: false },
      { url: `${f.taskUrl}/attachmentSessions`, type: "attachmentSession", many: true },
      { url: `${f.todo}/lists/delta`, type: "todoTaskList", many: true },
      { url: `${f.taskUrl}/checklistItems`, type: "checklistItem", many: true },
      { url: step.headers.get("location")!, type: "checklistItem", many: false },
      { url: `${f.taskUrl}/linkedResources`, type: "linkedResource", many: true },
      { url: link.headers.get("location")!, type: "linkedResource", many: false },
      { url: `${f.taskUrl}/extensions`, type: "openTypeExtension", many: true },
      { url: `${f.taskUrl}/extensions/com.example.meta`, type: "openTypeExtension", many: false },
      { url: `${listUrl}/extensions`, type: "openTypeExtension", many: true },
      { url: `${f.taskUrl}?$expand=checklistItems,linkedResources,extensions`, type: "todoTask", many: false },
      { url: `${listUrl}/tasks?$expand=checklistItems,linkedResources,extensions`, type: "todoTask", many: true },
      { url: `${f.todo}/lists/${encodeURIComponent(f.listId)}/tasks/delta`, type: "todoTask", many: true },
    ];
    for (const a of answers) {
      const r = await call("GET", a.url, { token });
      assert.equal(r.status, 200, `${a.url}: ${r.text}`);
      const context = r.json["@odata.context"] as string;
      assert.equal(context.split("#")[0], `${s.url}/v1.0/$metadata`, `${a.url}: its context points at this server's $metadata`);
      const items = a.many ? (r.json.value as Record<string, unknown>[]) : [r.json];
      assert.ok(items.length > 0, `${a.url} answered no item`);
      for (const item of items) assertDeclared(model, a.type, item, a.url);
    }
    const created = await call("POST", `${f.taskUrl}/attachments/createUploadSession`, {
      token,
      json: { attachmentInfo: { attachmentType: "file", name: "b.bin", size: 4 } },
    });
    assert.equal(created.status, 200, created.text);
    assert.match(created.json["@odata.context"], /\/\$metadata#microsoft\.graph\.uploadSession$/);
    assertDeclared(model, "uploadSession", created.json, "createUploadSession");
  });
});
