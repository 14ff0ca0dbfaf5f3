// Run by graph-client-v3-sync.test.ts in a child process trusting the development CA through
// NODE_EXTRA_CA_CERTS only. Microsoft's JS SDK v3 unchanged: a BatchRequestContent batch (full URLs,
// each request depending on the one before), then a tasks delta round followed through its links until in sync.
// Prints one JSON line with what the SDK saw.
import { BatchRequestContent, BatchResponseContent, Client } from "@microsoft/microsoft-graph-client";

const { BASE, TOKEN } = process.env as Record<string, string>;
const client = Client.init({ baseUrl: BASE, customHosts: new Set(["localhost"]), authProvider: (done) => done(null, TOKEN) });
const json = { "Content-Type": "application/json" };

async function main() {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const out: Record<string, any> = {};
  const list = await client.api("/me/todo/lists").post({ displayName: "Batched" });
  const tasks = `/me/todo/lists/${list.id}/tasks`;

  const batch = new BatchRequestContent([
    { id: "1", request: new Request(`${BASE}/v1.0${tasks}`, { method: "POST", headers: json, body: JSON.stringify({ title: "first" }) }) },
    { id: "2", request: new Request(`${BASE}/v1.0${tasks}`, { method: "POST", headers: json, body: JSON.stringify({ title: "second" }) }), dependsOn: ["1"] },
    { id: "3", request: new Request(`${BASE}/v1.0/me/todo/lists`, { method: "GET" }), dependsOn: ["2"] },
  ]);
  const answer = new BatchResponseContent(await client.api("/$batch").post(await batch.getContent()));
  const r1 = answer.getResponseById("1");
  const r2 = answer.getResponseById("2");
  const r3 = answer.getResponseById("3");
  out.batch = { statuses: [r1.status, r2.status, r3.status], titles: [(await r1.json()).title, (await r2.json()).title], lists: (await r3.json()).value.length };

  // Delta: a first round in pages of 1, then one more task and the next round.
  const round = async (start: string) => {
    const seen: string[] = [];
    let pages = 0;
    for (let url = start; ; ) {
      const page = await client.api(url).header("Prefer", "odata.maxpagesize=1").get();
      pages++;
      seen.push(...page.value.map((t: { title?: string; id: string; "@removed"?: unknown }) => (t["@removed"] ? `-${t.id}` : t.title!)));
      if (page["@odata.nextLink"]) url = page["@odata.nextLink"];
      else return { seen, pages, deltaLink: page["@odata.deltaLink"] as string };
    }
  };
  const first = await round(`${tasks}/delta()`);
  await client.api(tasks).post({ title: "third" });
  const second = await round(first.deltaLink);
  out.delta = { first: first.seen, pages: first.pages, second: second.seen, deltaLink: first.deltaLink };
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
