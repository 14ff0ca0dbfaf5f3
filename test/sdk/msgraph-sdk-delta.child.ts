// Run by msgraph-sdk-delta.test.ts in a child process that trusts Taskdrop's development CA through
// NODE_EXTRA_CA_CERTS only. Microsoft's full Kiota-generated SDK (@microsoft/msgraph-sdk with the
// fluent users API of @microsoft/msgraph-sdk-users), unchanged: `…tasks.delta.get()`, then
// odataNextLink / odataDeltaLink followed with `withUrl` until in sync, applying every entry to a
// local copy; then the lists delta. Prints one JSON line with what the SDK saw.
import type { TodoTask } from "@microsoft/msgraph-sdk/models/index.js";
import { kiotaClient } from "./kiota-client.js";

const client = kiotaClient();

async function main() {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const out: Record<string, any> = {};
  const list = (await client.me.todo.lists.post({ displayName: "Kiota delta" }))!;
  const tasks = client.me.todo.lists.byTodoTaskListId(list.id!).tasks;
  for (const title of ["a", "b", "c"]) await tasks.post({ title });

  const local = new Map<string, string>();
  const apply = (value: TodoTask[] | null | undefined) => {
    for (const t of value ?? []) {
      if (t.additionalData?.["@removed"]) local.delete(t.id!);
      else local.set(t.id!, t.title!);
    }
  };
  const pages: number[] = [];
  /** One round from `start` (a builder's first call, or a deltaLink), following odataNextLink. */
  const round = async (first: () => ReturnType<typeof tasks.delta.get>) => {
    let page = await first();
    for (;;) {
      pages.push(page?.value?.length ?? -1);
      apply(page?.value);
      if (!page?.odataNextLink) return page!.odataDeltaLink!;
      page = await tasks.delta.withUrl(page.odataNextLink).get({ headers: { prefer: "odata.maxpagesize=2" } });
    }
  };
  const headers = { prefer: "odata.maxpagesize=2" };
  const deltaLink = await round(() => tasks.delta.get({ headers }));
  out.first = { titles: [...local.values()].sort(), pages: [...pages] };

  const b = [...local].find(([, t]) => t === "b")![0];
  await tasks.byTodoTaskId(b).delete();
  await tasks.post({ title: "d" });
  const a = [...local].find(([, t]) => t === "a")![0];
  await tasks.byTodoTaskId(a).patch({ title: "a2" });
  pages.length = 0;
  const next = await round(() => tasks.delta.withUrl(deltaLink).get({ headers }));
  out.second = { titles: [...local.values()].sort(), pages: [...pages], newLink: next !== deltaLink };
  const server = await tasks.get({ queryParameters: { top: 999 } });
  out.inSync = JSON.stringify([...local.keys()].sort()) === JSON.stringify((server?.value ?? []).map((t) => t.id).sort());

  const lists = await client.me.todo.lists.delta.get();
  out.lists = { names: (lists?.value ?? []).map((l) => l.displayName).sort(), deltaLink: typeof lists?.odataDeltaLink };
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
