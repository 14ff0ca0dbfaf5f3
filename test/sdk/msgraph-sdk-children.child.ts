// Run by msgraph-sdk-children.test.ts in a child process that trusts Taskdrop's development CA
// through NODE_EXTRA_CA_CERTS only. Microsoft's full Kiota-generated SDK, unchanged, through its
// fluent API: the docs' Create-task example with an inline linked resource, checklistItems,
// linkedResources and extensions (post, get, patch, delete), and $expand through queryParameters.
// Prints one JSON line with what the SDK saw.
import type { OpenTypeExtension } from "@microsoft/msgraph-sdk/models/index.js";
import { kiotaClient } from "./kiota-client.js";

const client = kiotaClient();

async function main() {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const out: Record<string, any> = {};
  const list = (await client.me.todo.lists.post({ displayName: "Kiota children" }))!;
  const tasks = client.me.todo.lists.byTodoTaskListId(list.id!).tasks;
  // Microsoft's Create-task example (todotasklist-post-tasks.md), as the SDK sends it.
  const created = (await tasks.post({
    title: "A new task",
    categories: ["Important"],
    linkedResources: [{ webUrl: "http://microsoft.com", applicationName: "Microsoft", displayName: "Microsoft" }],
  }))!;
  out.created = { title: created.title, links: (created.linkedResources ?? []).map((l) => l.webUrl) };
  const task = tasks.byTodoTaskId(created.id!);

  const step = (await task.checklistItems.post({ displayName: "Book the room" }))!;
  const checked = (await task.checklistItems.byChecklistItemId(step.id!).patch({ isChecked: true }))!;
  out.step = { isChecked: checked.isChecked, checkedAt: checked.checkedDateTime instanceof Date };
  const link = (await task.linkedResources.post({ webUrl: "https://contoso.example/t/1", applicationName: "Contoso", externalId: "T-1" }))!;
  out.link = (await task.linkedResources.byLinkedResourceId(link.id!).get())?.externalId;

  // Known SDK defect (1.0.0-preview.90): `extensions.post()` serialises the body as the abstract
  // `extension`, dropping `extensionName`; the workaround puts it in additionalData.
  const ext: OpenTypeExtension = { odataType: "#microsoft.graph.openTypeExtension", additionalData: { extensionName: "com.contoso.ticket", ticket: 42 } };
  const made = (await task.extensions.post(ext))!;
  out.extension = { id: made.id, ticket: made.additionalData?.ticket };
  await task.extensions.byExtensionId("com.contoso.ticket").patch({ odataType: "#microsoft.graph.openTypeExtension", additionalData: { ticket: 43 } } as OpenTypeExtension);

  const expanded = (await task.get({ queryParameters: { expand: ["checklistItems", "linkedResources", "extensions"], select: ["title"] } }))!;
  out.expanded = {
    steps: (expanded.checklistItems ?? []).map((c) => c.displayName),
    links: (expanded.linkedResources ?? []).length,
    ticket: (expanded.extensions ?? [])[0]?.additionalData?.ticket,
  };
  const collection = await tasks.get({ queryParameters: { expand: ["checklistItems"] } });
  out.collection = (collection?.value ?? []).map((t) => (t.checklistItems ?? []).length);

  await task.checklistItems.byChecklistItemId(step.id!).delete();
  await task.linkedResources.byLinkedResourceId(link.id!).delete();
  await task.extensions.byExtensionId(made.id!).delete();
  const left = await task.get({ queryParameters: { expand: ["checklistItems", "extensions"] } });
  out.left = [(left?.checklistItems ?? []).length, (left?.extensions ?? []).length];
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e?.errorEscaped?.innerError?.additionalData ?? "", e);
  process.exit(1);
});
