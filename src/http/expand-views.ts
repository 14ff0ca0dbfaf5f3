// `$expand` on tasks and lists: what each type may expand, reading what a page of them expands
// (bounded by the page and by the nested `$top`), and the navigation properties as Graph shows
// them, each cut to its nested `$select`, `$filter`, `$orderby` and `$top`.
import type { FastifyRequest } from "fastify";
import { parseExpand, type Expansion, type Navigation } from "../domain/expand.js";
import type { ChildKind, Task, TaskChild, TaskList } from "../domain/models.js";
import { project } from "../domain/odata.js";
import { pageInMemory, viewReader, type QueryPage } from "../domain/query.js";
import { MAX_CHILDREN } from "../domain/task-children.js";
import type { Deps } from "../services/deps.js";
import { expandListExtensions, expandTasks } from "../services/task-children.js";
import { expandListTasks } from "../services/tasks.js";
import { CHILD_SEGMENT, CHILD_SHAPES, childView, ownerPath, TASK_SHAPE, taskView, type UrlScope } from "./views.js";

/** Tasks an expanded list carries when no nested `$top` says otherwise, and the most it may ask for. */
export const EXPANDED_TASKS_DEFAULT = 50;
export const EXPANDED_TASKS_MAX = 100;
/**
 * Lists a page carries when their tasks are expanded: a larger `$top` is paged by the server (the
 * nextLink continues), so one answer holds at most 100 lists × 100 tasks.
 */
export const EXPANDED_LISTS_PAGE = 100;
/** A task's children are at most 100 of a kind: an expanded collection is whole unless `$top` cuts it. */
const CHILDREN_MAX = Math.max(...Object.values(MAX_CHILDREN));

export const TASK_NAVIGATION: Navigation<ChildKind> = {
  typeName: "microsoft.graph.todoTask",
  props: {
    checklistItems: { key: "checklistItem", shape: CHILD_SHAPES.checklistItem },
    linkedResources: { key: "linkedResource", shape: CHILD_SHAPES.linkedResource },
    extensions: { key: "extension", shape: CHILD_SHAPES.extension },
    attachments: null,
  },
  refused: { attachments: "$expand=attachments is not supported; list the task's attachments instead." },
};

type ListNav = "tasks" | "extensions";
export const LIST_NAVIGATION: Navigation<ListNav> = {
  typeName: "microsoft.graph.todoTaskList",
  props: { tasks: { key: "tasks", shape: TASK_SHAPE }, extensions: { key: "extensions", shape: CHILD_SHAPES.extension } },
};

const queryOf = (req: FastifyRequest) => req.query as Record<string, string | string[] | undefined>;

export const taskExpansions = (req: FastifyRequest) => parseExpand(queryOf(req), TASK_NAVIGATION, { defaultTop: CHILDREN_MAX, maxTop: CHILDREN_MAX });
export const listExpansions = (req: FastifyRequest) => parseExpand(queryOf(req), LIST_NAVIGATION, { defaultTop: EXPANDED_TASKS_DEFAULT, maxTop: EXPANDED_TASKS_MAX });

/** A child collection shown whole (a new task's inline children). */
export const wholeExpansion = (kind: ChildKind): Expansion<ChildKind> => ({
  key: kind,
  name: CHILD_SEGMENT[kind],
  options: { select: undefined, topGiven: undefined, filter: undefined, orderBy: [], skip: 0, top: CHILDREN_MAX, count: false },
  raw: {},
});

/** One child collection cut to its expansion's options. */
function childCollection(e: Expansion<ChildKind>, all: TaskChild[]): Array<Record<string, unknown>> {
  const shape = CHILD_SHAPES[e.key];
  const views = all.filter((c) => c.kind === e.key).map(childView);
  const q = { filter: e.options.filter, orderBy: e.options.orderBy, skip: 0, top: e.options.top, count: false };
  return pageInMemory(views, q, (v) => viewReader(shape.query, v)).items.map((v) => project(v, e.options.select));
}

/** The navigation properties of one task, from its children (of the kinds expanded). */
export function taskExpandedView(expansions: Array<Expansion<ChildKind>>, children: TaskChild[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const e of expansions) out[CHILD_SEGMENT[e.key]] = childCollection(e, children);
  return out;
}

/** Reads what a page of tasks (or one) expands and returns each task's navigation properties by its id. */
export async function expandTaskPage(d: Deps, owner: string, listId: string, taskIds: string[], expansions: Array<Expansion<ChildKind>>): Promise<((id: string) => Record<string, unknown>) | undefined> {
  if (expansions.length === 0) return undefined;
  const children = await expandTasks(d, owner, listId, taskIds, expansions.map((e) => e.key));
  return (id) => taskExpandedView(expansions, children.get(id) ?? []);
}

/** `tasks@odata.nextLink` of a list whose expanded tasks were cut: the list's tasks with the same nested options, from where the cut was. */
function tasksNextLink(scope: UrlScope, listId: string, e: Expansion<ListNav>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(e.raw)) if (k !== "$top") params.set(k, v);
  params.set("$top", String(e.options.top));
  params.set("$skip", String(e.options.top));
  return `${ownerPath(scope)}/lists/${encodeURIComponent(listId)}/tasks?${params.toString().replace(/%24/g, "$")}`;
}

/** Reads what a page of lists (or one) expands and returns each list's navigation properties by its id. */
export async function expandListPage(d: Deps, owner: string, scope: UrlScope, lists: TaskList[], expansions: Array<Expansion<ListNav>>): Promise<((id: string) => Record<string, unknown>) | undefined> {
  if (expansions.length === 0) return undefined;
  const ids = lists.map((l) => l.id);
  const tasksE = expansions.find((e) => e.key === "tasks");
  const extE = expansions.find((e) => e.key === "extensions");
  let tasks: Map<string, QueryPage<Task>> | undefined;
  if (tasksE) tasks = await expandListTasks(d, owner, ids, { filter: tasksE.options.filter, orderBy: tasksE.options.orderBy, skip: 0, top: tasksE.options.top, count: false });
  const exts = extE ? await expandListExtensions(d, owner, ids) : undefined;
  return (id) => {
    const out: Record<string, unknown> = {};
    for (const e of expansions) {
      if (e.key === "tasks") {
        const page = tasks!.get(id)!;
        out.tasks = page.items.map((t) => project(taskView(t), e.options.select));
        if (page.more) out["tasks@odata.nextLink"] = tasksNextLink(scope, id, e);
      } else {
        out.extensions = childCollection({ ...e, key: "extension" }, exts!.get(id) ?? []);
      }
    }
    return out;
  };
}

/** The page size of a page of lists that expands `tasks` (see EXPANDED_LISTS_PAGE). */
export function listPageSize(top: number, expansions: Array<Expansion<ListNav>>): number {
  return expansions.some((e) => e.key === "tasks") ? Math.min(top, EXPANDED_LISTS_PAGE) : top;
}

/** Items an expanded page of lists may carry in all, for the large-page turn (turns.ts). */
export function listPageWeight(listTop: number, expansions: Array<Expansion<ListNav>>): number {
  const tasksE = expansions.find((e) => e.key === "tasks");
  return tasksE ? listTop * (1 + tasksE.options.top) : listTop;
}
