// $expand parsing (domain/expand.ts) against todoTask's and todoTaskList's navigation
// (http/expand-views.ts): syntax, nested options, and every refusal with its message.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseExpand, parseExpandSyntax, plainKinds } from "../../src/domain/expand.js";
import { LIST_NAVIGATION, TASK_NAVIGATION } from "../../src/http/expand-views.js";
import { refused } from "../helpers/refused.js";

const bounds = { defaultTop: 100, maxTop: 100 };
const task = (e: string | string[]) => parseExpand({ $expand: e }, TASK_NAVIGATION, bounds);

describe("$expand", () => {
  test("known navigation properties in the order given; a plain repeat counts once", () => {
    assert.deepEqual(parseExpand({}, TASK_NAVIGATION, bounds), []);
    assert.deepEqual(task("extensions, checklistItems,extensions").map((e) => e.key), ["extension", "checklistItem"]);
    assert.deepEqual(parseExpand({ $expand: "tasks,extensions" }, LIST_NAVIGATION, { defaultTop: 50, maxTop: 100 }).map((e) => [e.key, e.options.top]), [["tasks", 50], ["extensions", 50]]);
  });

  test("nested $select, $filter, $orderby and $top are parsed against the expanded type", () => {
    const [e] = task("checklistItems($select=displayName;$filter=isChecked eq false;$orderBy=displayName desc;$top=3)");
    assert.deepEqual(e!.options.select, ["displayName"]);
    assert.equal(e!.options.top, 3);
    assert.ok(e!.options.filter);
    assert.equal(e!.options.orderBy.length, 1);
    const [t] = parseExpand({ $expand: "tasks($select=title,status;$filter=startswith(title,'a(b;c)'))" }, LIST_NAVIGATION, bounds);
    assert.deepEqual(t!.options.select, ["title", "status"]);
    assert.deepEqual(parseExpandSyntax("a(b=1;c='x,y'),d").map((i) => i.name), ["a", "d"]);
  });

  test("unknown, unexpanded and badly formed items are refused as Graph refuses them", () => {
    refused(() => parseExpand({ $expand: "checklistItems" }, LIST_NAVIGATION, bounds), "on type 'microsoft.graph.todoTaskList'");
    const cases: Array<[string | string[], string]> = [
      ["steps", "Could not find a property named 'steps' on type 'microsoft.graph.todoTask'."],
      ["attachments", "attachments"],
      [["a", "b"], "more than once"],
      ["checklistItems(", "Parsing OData Select and Expand failed: Found an unbalanced bracket expression."],
      ["checklistItems)", "unbalanced bracket"],
      ["checklistItems()", "Empty options"],
      ["checklistItems($top)", "needs a name and a value"],
      ["checklistItems($top=1)x", "Syntax error"],
      [",checklistItems", "Expected a navigation property name"],
      ["checklistItems/x", "Parsing OData Select and Expand failed"],
      ["*", "$expand=*"],
      ["checklistItems($select=nope)", "Could not find a property named 'nope' on type 'microsoft.graph.checklistItem'."],
      ["checklistItems($top=101)", "exceeds the maximum of 100"],
      ["checklistItems($top=1),checklistItems", "expanded more than once"],
      ["checklistItems(top=1)", "not a system query option"],
      ["checklistItems($top=1;$TOP=2)", "more than once"],
    ];
    for (const [e, message] of cases) refused(() => task(e), message);
    for (const o of ["$skip=1", "$count=true", "$search=a", "$levels=2", "$expand=x", "$format=json", "$apply=x", "$compute=x"]) {
      refused(() => task(`checklistItems(${o})`), `Query option '${o.split("=")[0]}' is not supported inside $expand=checklistItems(…).`);
    }
    refused(() => task("checklistItems($unknown=1)"), "'$unknown' is not supported");
  });

  test("delta carries plain expansions only", () => {
    assert.deepEqual(plainKinds(task("linkedResources,extensions")), ["linkedResource", "extension"]);
    refused(() => plainKinds(task("linkedResources($top=1)")), "not supported on delta");
  });
});
