// The page: sign-in, then lists (navigation), the open list's tasks, a task's details, and the
// uploads panel. Every call goes through the client SDK against this server's own Graph routes.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { TaskdropClient, type TodoTask, type TodoTaskList } from "../../src/client/index.js";
import { Details } from "./details.js";
import { droppedFiles } from "./drop.js";
import { usePending } from "./pending.js";
import { endSessionUrl, finishSignIn, isCallback } from "./oidc.js";
import { devSignIn, forgetDevUser, oidcSettings, readSettings, rememberedDevUser, sessionFromToken, type Session } from "./session.js";
import { SignIn } from "./signin.js";
import { UploadsPanel } from "./uploads-panel.js";
import { Uploads, type Target, type UploadRow } from "./uploads.js";
import { inWords } from "./words.js";

export function App() {
  const settings = useMemo(() => readSettings(), []);
  const [session, setSession] = useState<Session | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [starting, setStarting] = useState(true);

  useEffect(() => {
    (async () => {
      try {
        const oidc = oidcSettings(settings);
        const here = new URL(location.href);
        if (oidc && isCallback(here)) {
          // Drop the code from the address bar and history before anything else.
          history.replaceState(null, "", here.pathname);
          const t = await finishSignIn(oidc, here, sessionStorage);
          setSession(sessionFromToken(t.accessToken, "oidc", "you", t.claims, t.idToken));
        } else if (settings.auth === "dev" && rememberedDevUser()) {
          setSession(await devSignIn(rememberedDevUser()!));
        }
      } catch (e) {
        setError((e as Error).message);
      } finally {
        setStarting(false);
      }
    })();
  }, [settings]);

  if (starting) return <p class="boot">Signing in…</p>;
  if (!session) return <SignIn settings={settings} error={error} onSession={setSession} />;
  return (
    <Signed
      session={session}
      onSignOut={async () => {
        forgetDevUser();
        const oidc = oidcSettings(settings);
        const leaving = session.kind === "oidc" && oidc ? await endSessionUrl(oidc, session.idToken, new URL("./", document.baseURI).href).catch(() => undefined) : undefined;
        setSession(undefined);
        // The issuer ends its own session too, then sends the browser back here, signed out.
        if (leaving) location.assign(leaving);
      }}
    />
  );
}

function Signed({ session, onSignOut }: { session: Session; onSignOut: () => void | Promise<void> }) {
  const client = useMemo(
    () => new TaskdropClient({ baseUrl: new URL("v1.0", document.baseURI).href, token: () => session.token, retry: { retries: 8, baseDelayMs: 400, maxDelayMs: 5_000 } }),
    [session],
  );
  const attachedRef = useRef<(row: UploadRow) => void>(() => undefined);
  const uploads = useMemo(() => new Uploads({ client, userKey: session.userKey, onAttached: (r) => attachedRef.current(r) }), [client, session]);
  useEffect(() => {
    void uploads.restore();
    return () => uploads.dispose();
  }, [uploads]);
  return (
    <div class="shell">
      <header class="top">
        <span class="brand">Taskdrop</span>
        <span class="who">{session.displayName}</span>
        <button type="button" onClick={() => void onSignOut()}>
          Sign out
        </button>
      </header>
      <Todo client={client} uploads={uploads} attachedRef={attachedRef} />
    </div>
  );
}

interface TodoProps {
  client: TaskdropClient;
  uploads: Uploads;
  attachedRef: { current: (row: UploadRow) => void };
}

function Todo({ client, uploads, attachedRef }: TodoProps) {
  const [lists, setLists] = useState<TodoTaskList[]>([]);
  const [listId, setListId] = useState<string | undefined>();
  const [tasks, setTasks] = useState<TodoTask[]>([]);
  const [counts, setCounts] = useState<Record<string, number>>({});
  const [openId, setOpenId] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [newList, setNewList] = useState("");
  const [newTask, setNewTask] = useState("");
  const [renaming, setRenaming] = useState<string | undefined>();
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [attachmentsVersion, setAttachmentsVersion] = useState(0);
  // Checkboxes clicked whose PATCH has not answered yet: they show the asked-for state through any
  // re-render meanwhile (Preact resets a controlled checkbox to its prop), and the task moves only
  // once the server has agreed.
  const [toggling, whileToggling] = usePending<boolean>();
  const list = lists.find((l) => l.id === listId);
  const open = tasks.find((t) => t.id === openId);

  /** Runs a call; a failure is shown in words and nothing typed is thrown away. */
  const act = async <T,>(doing: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      const r = await fn();
      setError(undefined);
      return r;
    } catch (e) {
      setError(inWords(e, doing));
      return undefined;
    }
  };

  const loadLists = async (select?: string) => {
    const all = await act("Could not load your lists", () => client.lists.list());
    if (!all) return;
    setLists(all);
    setListId((cur) => select ?? (all.some((l) => l.id === cur) ? cur : (all.find((l) => l.wellknownListName === "defaultList") ?? all[0])?.id));
  };

  const countAttachments = async (lid: string, ts: TodoTask[]) => {
    const want = ts.filter((t) => t.hasAttachments);
    const found: Record<string, number> = {};
    for (let i = 0; i < want.length; i += 4) {
      await Promise.all(
        want.slice(i, i + 4).map(async (t) => {
          const a = await client.attachments.list(lid, t.id, { select: ["id"] }).catch(() => undefined);
          if (a) found[t.id] = a.length;
        }),
      );
    }
    setCounts(found);
  };

  const loadTasks = async (lid: string) => {
    const all = await act("Could not load the tasks", () => client.tasks.list(lid));
    if (!all) return;
    setTasks(all);
    void countAttachments(lid, all);
  };

  useEffect(() => {
    void loadLists();
  }, [client]);
  useEffect(() => {
    setOpenId(undefined);
    setRenaming(undefined);
    setConfirmDelete(false);
    setTasks([]);
    setCounts({});
    if (listId) void loadTasks(listId);
  }, [listId]);

  // A finished upload changes its task's attachment count (and the open details).
  attachedRef.current = (row: UploadRow) => {
    if (row.listId !== listId) return;
    setTasks((ts) => ts.map((t) => (t.id === row.taskId ? { ...t, hasAttachments: true } : t)));
    void client.attachments.list(row.listId, row.taskId, { select: ["id"] }).then(
      (a) => setCounts((c) => ({ ...c, [row.taskId]: a.length })),
      () => undefined,
    );
    if (row.taskId === openId) setAttachmentsVersion((v) => v + 1);
  };

  // Escape closes the details, wherever the focus is; focus goes back to the task's title.
  useEffect(() => {
    if (!openId) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape") return;
      const id = openId;
      setOpenId(undefined);
      requestAnimationFrame(() => document.querySelector<HTMLElement>(`[data-task-title="${CSS.escape(id)}"]`)?.focus());
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [openId]);

  const createList = async () => {
    const name = newList.trim();
    if (!name) return;
    const l = await act(`Could not create the list ${name}`, () => client.lists.create({ displayName: name }));
    if (l) {
      setNewList("");
      await loadLists(l.id);
    }
  };

  const renameList = async () => {
    if (!list || renaming === undefined) return;
    const name = renaming.trim();
    if (!name) return;
    const l = await act(`Could not rename the list ${list.displayName}`, () => client.lists.update(list.id, { displayName: name }));
    if (l) {
      setRenaming(undefined);
      setLists((ls) => ls.map((x) => (x.id === l.id ? l : x)));
    }
  };

  const deleteList = async () => {
    if (!list) return;
    setConfirmDelete(false);
    const ok = await act(`Could not delete the list ${list.displayName}`, async () => (await client.lists.delete(list.id), true));
    if (ok) {
      setListId(undefined);
      await loadLists();
    }
  };

  const addTask = async () => {
    const title = newTask.trim();
    if (!title || !listId) return;
    const t = await act(`Could not add the task ${title}`, () => client.tasks.create(listId, { title }));
    if (t) {
      setNewTask("");
      setTasks((ts) => [t, ...ts]);
    }
  };

  const patchTask = async (t: TodoTask, patch: Parameters<TaskdropClient["tasks"]["update"]>[2], doing: string) => {
    if (!listId) return;
    const u = await act(doing, () => client.tasks.update(listId, t.id, patch));
    if (u) setTasks((ts) => ts.map((x) => (x.id === u.id ? u : x)));
  };

  const toggle = (t: TodoTask) => {
    const completing = t.status !== "completed";
    return whileToggling(t.id, completing, () =>
      patchTask(t, { status: completing ? "completed" : "notStarted" }, completing ? `Could not complete ${t.title}` : `Could not reopen ${t.title}`),
    );
  };

  const attach = (t: TodoTask, files: File[]) => {
    if (!listId) return;
    const target: Target = { listId, taskId: t.id, taskTitle: t.title };
    void uploads.add(target, files);
  };

  const active = tasks.filter((t) => t.status !== "completed");
  const done = tasks.filter((t) => t.status === "completed");

  const item = (t: TodoTask) => (
    <li
      key={t.id}
      class={`task${t.id === openId ? " open" : ""}`}
      onDragOver={(e) => {
        e.preventDefault();
        (e.currentTarget as HTMLElement).classList.add("drop");
      }}
      onDragLeave={(e) => (e.currentTarget as HTMLElement).classList.remove("drop")}
      onDrop={(e) => {
        e.preventDefault();
        (e.currentTarget as HTMLElement).classList.remove("drop");
        const files = droppedFiles(e);
        if (files) attach(t, files);
      }}
    >
      <input type="checkbox" checked={toggling[t.id] ?? t.status === "completed"} aria-label={`Complete ${t.title}`} onChange={() => void toggle(t)} />
      <button type="button" class="title" data-task-title={t.id} aria-expanded={t.id === openId} onClick={() => setOpenId(t.id === openId ? undefined : t.id)}>
        {t.title}
      </button>
      {(counts[t.id] ?? 0) > 0 && (
        <span class="count">
          {counts[t.id]} {counts[t.id] === 1 ? "attachment" : "attachments"}
        </span>
      )}
    </li>
  );

  return (
    <div class={`layout${open ? " with-details" : ""}`}>
      <nav aria-label="Lists" class="lists">
        <ul>
          {lists.map((l) => (
            <li key={l.id}>
              <a href={`#${encodeURIComponent(l.id)}`} aria-current={l.id === listId ? "page" : undefined} onClick={(e) => (e.preventDefault(), setListId(l.id))}>
                {l.displayName}
              </a>
            </li>
          ))}
        </ul>
        <input
          aria-label="New list"
          placeholder="New list"
          value={newList}
          onInput={(e) => setNewList((e.target as HTMLInputElement).value)}
          onKeyDown={(e) => e.key === "Enter" && void createList()}
        />
      </nav>

      <main class="tasks">
        {error && (
          <div role="alert" class="error">
            {error}{" "}
            <button type="button" class="link" onClick={() => setError(undefined)}>
              Dismiss
            </button>
          </div>
        )}
        {list && (
          <>
            <div class="list-head">
              {renaming === undefined ? (
                <h1>{list.displayName}</h1>
              ) : (
                <input
                  aria-label="List name"
                  class="rename"
                  value={renaming}
                  ref={(el) => el?.focus()}
                  onInput={(e) => setRenaming((e.target as HTMLInputElement).value)}
                  onKeyDown={(e) => {
                    if (e.key === "Enter") void renameList();
                    if (e.key === "Escape") {
                      e.stopPropagation();
                      setRenaming(undefined);
                    }
                  }}
                />
              )}
              {renaming === undefined ? (
                <button type="button" onClick={() => setRenaming(list.displayName)}>
                  Rename list
                </button>
              ) : (
                <>
                  <button type="button" onClick={() => void renameList()}>
                    Save name
                  </button>
                  <button type="button" onClick={() => setRenaming(undefined)}>
                    Keep name
                  </button>
                </>
              )}
              {confirmDelete ? (
                <span class="confirm">
                  Delete {list.displayName} and its tasks?{" "}
                  <button type="button" class="danger" onClick={() => void deleteList()}>
                    Delete
                  </button>{" "}
                  <button type="button" onClick={() => setConfirmDelete(false)}>
                    Keep
                  </button>
                </span>
              ) : (
                <button type="button" onClick={() => setConfirmDelete(true)}>
                  Delete list
                </button>
              )}
            </div>
            <input
              aria-label="New task"
              class="new-task"
              placeholder="New task"
              value={newTask}
              onInput={(e) => setNewTask((e.target as HTMLInputElement).value)}
              onKeyDown={(e) => e.key === "Enter" && void addTask()}
            />
            <ul aria-label="Tasks" class="task-list">
              {active.map(item)}
            </ul>
            {active.length === 0 && <p class="empty">No open tasks.</p>}
            {done.length > 0 && (
              <details class="completed">
                <summary>Completed ({done.length})</summary>
                <ul aria-label="Completed" class="task-list">
                  {done.map(item)}
                </ul>
              </details>
            )}
          </>
        )}
      </main>

      {open && listId && (
        <Details
          key={open.id}
          client={client}
          listId={listId}
          task={open}
          version={attachmentsVersion}
          onClose={() => setOpenId(undefined)}
          onPatch={(patch, doing) => patchTask(open, patch, doing)}
          onAttach={(files) => attach(open, files)}
          onCount={(n) => setCounts((c) => ({ ...c, [open.id]: n }))}
        />
      )}
      <UploadsPanel uploads={uploads} />
    </div>
  );
}
