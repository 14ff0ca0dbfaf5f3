// The page: sign-in, then lists (navigation), the open list's tasks, a task's details, and the
// uploads panel. Every call goes through the client SDK against this server's own Graph routes.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { TaskdropClient, type TaskFileAttachment, type TodoTask, type TodoTaskList } from "../../src/client/index.js";
import { formatBytes } from "./format.js";
import { beginSignIn, finishSignIn, isCallback } from "./oidc.js";
import { devSignIn, forgetDevUser, oidcSettings, readSettings, rememberedDevUser, sessionFromToken, type Session, type Settings } from "./session.js";
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
          setSession(sessionFromToken(t.accessToken, "oidc", "you", t.claims));
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
      onSignOut={() => {
        forgetDevUser();
        setSession(undefined);
      }}
    />
  );
}

function SignIn({ settings, error, onSession }: { settings: Settings; error?: string; onSession: (s: Session) => void }) {
  const [user, setUser] = useState(rememberedDevUser() ?? "");
  const [problem, setProblem] = useState(error);
  const [busy, setBusy] = useState(false);
  const oidc = oidcSettings(settings);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setProblem(undefined);
    try {
      if (settings.auth === "dev") onSession(await devSignIn(user.trim()));
      else if (oidc) location.assign(await beginSignIn(oidc, new URL(".", location.href).href, sessionStorage));
    } catch (err) {
      setProblem(`Could not sign in: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <h1>Taskdrop</h1>
      <p>To Do lists with files attached, on this server's Graph API.</p>
      <form onSubmit={submit}>
        {settings.auth === "dev" ? (
          <>
            <p class="hint">Development mode: any user name signs in (tokens come from this server).</p>
            <label>
              User
              <input name="user" autoComplete="username" required value={user} onInput={(e) => setUser((e.target as HTMLInputElement).value)} />
            </label>
          </>
        ) : oidc ? (
          <p class="hint">You sign in at {new URL(settings.issuer).host}.</p>
        ) : (
          <p class="hint">This server trusts tokens from {settings.issuer}, but the page has no client id there (start the server with --web-client-id).</p>
        )}
        <button type="submit" disabled={busy || (settings.auth === "oidc" && !oidc)}>
          Sign in
        </button>
      </form>
      {problem && <p role="alert" class="error">{problem}</p>}
    </main>
  );
}

function Signed({ session, onSignOut }: { session: Session; onSignOut: () => void }) {
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
        <button type="button" onClick={onSignOut}>
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

/** Files from a drop, or undefined when the drag carried none. */
function droppedFiles(e: DragEvent): File[] | undefined {
  const files = e.dataTransfer?.files;
  return files && files.length > 0 ? Array.from(files) : undefined;
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

  const toggle = (t: TodoTask) =>
    patchTask(t, { status: t.status === "completed" ? "notStarted" : "completed" }, t.status === "completed" ? `Could not reopen ${t.title}` : `Could not complete ${t.title}`);

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
      <input type="checkbox" checked={t.status === "completed"} aria-label={`Complete ${t.title}`} onChange={() => void toggle(t)} />
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

interface DetailsProps {
  client: TaskdropClient;
  listId: string;
  task: TodoTask;
  version: number;
  onClose: () => void;
  onPatch: (patch: Parameters<TaskdropClient["tasks"]["update"]>[2], doing: string) => Promise<void>;
  onAttach: (files: File[]) => void;
  onCount: (n: number) => void;
}

/** yyyy-mm-dd of a Graph dateTimeTimeZone (the date part, as To Do shows due dates). */
const dueInput = (t: TodoTask) => t.dueDateTime?.dateTime.slice(0, 10) ?? "";

function Details({ client, listId, task, version, onClose, onPatch, onAttach, onCount }: DetailsProps) {
  const [title, setTitle] = useState(task.title);
  const [notes, setNotes] = useState(task.body?.content ?? "");
  const [attachments, setAttachments] = useState<TaskFileAttachment[] | undefined>();
  const [problem, setProblem] = useState<string | undefined>();
  const [dragging, setDragging] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => heading.current?.focus(), []);
  useEffect(() => {
    client.attachments.list(listId, task.id).then(
      (a) => {
        setAttachments(a);
        onCount(a.length);
      },
      (e) => setProblem(inWords(e, "Could not load the attachments")),
    );
  }, [task.id, version]);

  const saveTitle = () => {
    const t = title.trim();
    if (t && t !== task.title) void onPatch({ title: t }, `Could not rename ${task.title}`);
  };
  const saveNotes = () => {
    if (notes !== (task.body?.content ?? "")) void onPatch({ body: { content: notes, contentType: "text" } }, `Could not save the notes of ${task.title}`);
  };

  const download = async (a: TaskFileAttachment) => {
    try {
      const res = await client.attachments.content(listId, task.id, a.id);
      const url = URL.createObjectURL(await res.blob());
      const link = document.createElement("a");
      link.href = url;
      link.download = a.name;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (e) {
      setProblem(inWords(e, `Could not download ${a.name}`));
    }
  };

  const remove = async (a: TaskFileAttachment) => {
    try {
      await client.attachments.delete(listId, task.id, a.id);
      const rest = (attachments ?? []).filter((x) => x.id !== a.id);
      setAttachments(rest);
      onCount(rest.length);
      setProblem(undefined);
    } catch (e) {
      setProblem(inWords(e, `Could not delete ${a.name}`));
    }
  };

  return (
    <aside
      aria-label="Details"
      class={`details${dragging ? " drop" : ""}`}
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        const files = droppedFiles(e);
        if (files) onAttach(files);
      }}
    >
      <div class="details-head">
        <h2 tabIndex={-1} ref={heading}>
          Details
        </h2>
        <button type="button" aria-label="Close details" onClick={onClose}>
          ✕
        </button>
      </div>
      <label>
        Title
        <input value={title} onInput={(e) => setTitle((e.target as HTMLInputElement).value)} onBlur={saveTitle} onKeyDown={(e) => e.key === "Enter" && saveTitle()} />
      </label>
      <label>
        Notes
        <textarea rows={4} value={notes} onInput={(e) => setNotes((e.target as HTMLTextAreaElement).value)} onBlur={saveNotes} />
      </label>
      <div class="row2">
        <label>
          Due date
          <input
            type="date"
            value={dueInput(task)}
            onChange={(e) => {
              const v = (e.target as HTMLInputElement).value;
              void onPatch({ dueDateTime: v ? { dateTime: `${v}T00:00:00.0000000`, timeZone: "UTC" } : (null as never) }, `Could not set the due date of ${task.title}`);
            }}
          />
        </label>
        <label>
          Importance
          <select
            value={task.importance ?? "normal"}
            onChange={(e) => void onPatch({ importance: (e.target as HTMLSelectElement).value as "low" | "normal" | "high" }, `Could not set the importance of ${task.title}`)}
          >
            <option value="low">Low</option>
            <option value="normal">Normal</option>
            <option value="high">High</option>
          </select>
        </label>
      </div>
      <h3>Attachments</h3>
      {problem && (
        <p role="alert" class="error">
          {problem}
        </p>
      )}
      {attachments === undefined ? (
        <p class="empty">Loading…</p>
      ) : attachments.length === 0 ? (
        <p class="empty">No files yet. Drop files here or choose them.</p>
      ) : (
        <ul class="attachments" aria-label="Attachments">
          {attachments.map((a) => (
            <li key={a.id}>
              <a href={client.attachmentUrl(listId, task.id, a.id) + "/$value"} onClick={(e) => (e.preventDefault(), void download(a))}>
                {a.name}
              </a>
              <span class="size">{formatBytes(a.size)}</span>
              <button type="button" class="link" aria-label={`Delete ${a.name}`} onClick={() => void remove(a)}>
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
      <label class="attach">
        Attach files
        <input
          type="file"
          multiple
          onChange={(e) => {
            const input = e.target as HTMLInputElement;
            const files = Array.from(input.files ?? []);
            input.value = "";
            if (files.length) onAttach(files);
          }}
        />
      </label>
      <p class="hint">Up to 25 MiB per file. Drop files anywhere on this pane or on a task.</p>
    </aside>
  );
}
