// The pure rules of checklistItem, linkedResource and openTypeExtension bodies, inline children in a
// task POST, and $expand on tasks (src/domain/task-children.ts, src/domain/expand.ts).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { GraphError } from "../../src/domain/errors.js";
import {
  applyChecklistInput,
  applyExtensionInput,
  applyLinkedResourceInput,
  childInput,
  extensionIdOf,
  MAX_EXTENSION_JSON,
  splitInlineChildren,
} from "../../src/domain/task-children.js";
import { refused } from "../helpers/refused.js";

const NOW = new Date("2025-06-07T08:09:10.123Z");
const LATER = new Date("2025-06-08T00:00:00.000Z");

describe("checklistItem", () => {
  test("displayName required on create; checkedDateTime follows isChecked", () => {
    refused(() => applyChecklistInput({ isChecked: true }, undefined, NOW), "displayName");
    const made = applyChecklistInput({ displayName: "a" }, undefined, NOW);
    assert.deepEqual(made, { displayName: "a", isChecked: false });
    const checked = applyChecklistInput({ isChecked: true }, made, NOW);
    assert.equal(checked.checkedDateTime, NOW.toISOString());
    assert.equal(applyChecklistInput({ isChecked: true }, checked, LATER).checkedDateTime, NOW.toISOString(), "already checked: kept");
    assert.equal(applyChecklistInput({ isChecked: false }, checked, LATER).checkedDateTime, undefined);
    assert.equal((made as Record<string, unknown>).checkedDateTime, undefined, "the current document is not changed in place");
  });
  test("read-only, unknown and mistyped properties are refused, naming the property", () => {
    for (const k of ["id", "createdDateTime", "checkedDateTime", "@odata.etag", "@odata.context"]) refused(() => applyChecklistInput({ displayName: "a", [k]: "x" }, undefined, NOW), k);
    refused(() => applyChecklistInput({ displayName: "a", title: "x" }, undefined, NOW), "title");
    refused(() => applyChecklistInput({ displayName: "a", isChecked: "true" }, undefined, NOW), "isChecked");
  });
});

describe("linkedResource", () => {
  test("optional strings, null clears on PATCH, webUrl must be absolute", () => {
    assert.deepEqual(applyLinkedResourceInput({}, undefined), {});
    const l = applyLinkedResourceInput({ webUrl: "https://example.com/x", externalId: "1" }, undefined);
    assert.deepEqual(applyLinkedResourceInput({ externalId: null }, l), { webUrl: "https://example.com/x" });
    refused(() => applyLinkedResourceInput({ webUrl: "/relative" }, undefined), "webUrl");
    refused(() => applyLinkedResourceInput({ id: "x" }, undefined), "id");
  });
});

describe("openTypeExtension", () => {
  test("@odata.type and extensionName required on create; custom values kept exactly; no rename", () => {
    refused(() => applyExtensionInput({ extensionName: "a" }, undefined), "@odata.type");
    refused(() => applyExtensionInput({ "@odata.type": "microsoft.graph.openTypeExtension" }, undefined), "extensionName");
    const e = applyExtensionInput({ "@odata.type": "#microsoft.graph.openTypeExtension", extensionName: "com.x", v: { a: [1, null, "s"] } }, undefined);
    assert.deepEqual(e, { extensionName: "com.x", v: { a: [1, null, "s"] } });
    refused(() => applyExtensionInput({ extensionName: "other" }, e), "extensionName");
    refused(() => applyExtensionInput(JSON.parse('{"@odata.type":"microsoft.graph.openTypeExtension","extensionName":"a","__proto__":{"x":1}}'), undefined), "__proto__");
    assert.deepEqual(applyExtensionInput({ v: null, w: 2 }, e), { extensionName: "com.x", w: 2 });
    refused(() => applyExtensionInput({ "@odata.type": "microsoft.graph.openTypeExtension", extensionName: "a", big: "x".repeat(MAX_EXTENSION_JSON) }, undefined), `${MAX_EXTENSION_JSON}`);
  });
  test("a path names an extension by name or by id; anything else is malformed", () => {
    assert.equal(extensionIdOf("com.x"), "microsoft.graph.openTypeExtension.com.x");
    assert.equal(extensionIdOf("microsoft.graph.openTypeExtension.com.x"), "microsoft.graph.openTypeExtension.com.x");
    for (const bad of ["", "a b", "../x", "-x", "x".repeat(129)]) {
      assert.throws(() => extensionIdOf(bad), (e: unknown) => e instanceof GraphError && e.kind === "malformedId");
    }
  });
  test("fuzz: arbitrary custom properties are kept as sent or refused with a 400", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 })), (custom) => {
        const body = { ...custom, "@odata.type": "microsoft.graph.openTypeExtension", extensionName: "n" };
        try {
          const doc = childInput("extension", body, NOW);
          for (const [k, v] of Object.entries(custom)) if (k !== "@odata.type" && k !== "extensionName") assert.deepEqual(doc[k], v);
        } catch (e) {
          assert.ok(e instanceof GraphError && e.status === 400, `threw ${String(e)}`);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe("inline children and $expand", () => {
  test("splitInlineChildren takes the three arrays off the task body, validated, in order", () => {
    const { task, children } = splitInlineChildren({ title: "t", checklistItems: [{ displayName: "a" }], linkedResources: [{ displayName: "l" }] }, NOW);
    assert.deepEqual(task, { title: "t" });
    assert.deepEqual(children.map((c) => c.kind), ["checklistItem", "linkedResource"]);
    const e = refused(() => splitInlineChildren({ title: "t", linkedResources: [{}, {}] }, NOW), "Only one item in linkedResources is allowed.");
    assert.equal(e.innerCode, "InvalidModel");
    refused(() => splitInlineChildren({ title: "t", checklistItems: "a" }, NOW), "checklistItems");
  });
});
