// A task's details: title, notes, due date and importance (saved as they change), its steps
// (checklist items: add, check, rename, delete), and its attachments (download links with sizes, Delete), with "Attach files" and a drop zone.
import { useEffect, useRef, useState } from "preact/hooks";
import type { ChecklistItem, TaskdropClient, TaskFileAttachment, TodoTask } from "../../src/client/index.js";
import { droppedFiles } from "./drop.js";
import { formatBytes } from "./format.js";
import { usePending } from "./pending.js";
import { inWords } from "./words.js";

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

export function Details({ client, listId, task, version, onClose, onPatch, onAttach, onCount }: DetailsProps) {
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
      <Steps client={client} listId={listId} task={task} />
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

/** The task's steps, each saved as soon as it changes; a failed call says so and keeps what the server has. */
function Steps({ client, listId, task }: { client: TaskdropClient; listId: string; task: TodoTask }) {
  const [steps, setSteps] = useState<ChecklistItem[] | undefined>();
  const [adding, setAdding] = useState("");
  const [problem, setProblem] = useState<string | undefined>();

  const act = async (doing: string, fn: () => Promise<void>) => {
    try {
      await fn();
      setProblem(undefined);
    } catch (e) {
      setProblem(inWords(e, doing));
    }
  };

  useEffect(() => {
    setSteps(undefined);
    void act("Could not load the steps", async () => setSteps(await client.checklistItems.list(listId, task.id)));
  }, [task.id]);

  const add = () => {
    const name = adding.trim();
    if (!name) return;
    void act(`Could not add the step ${name}`, async () => {
      const s = await client.checklistItems.create(listId, task.id, { displayName: name });
      setAdding("");
      setSteps((all) => [...(all ?? []), s]);
    });
  };
  const replace = (s: ChecklistItem) => setSteps((all) => (all ?? []).map((x) => (x.id === s.id ? s : x)));
  const [toggling, whileToggling] = usePending<boolean>();
  const toggle = (s: ChecklistItem) => {
    const checking = !s.isChecked;
    return whileToggling(s.id, checking, () =>
      act(`Could not ${checking ? "check" : "uncheck"} the step ${s.displayName}`, async () => replace(await client.checklistItems.update(listId, task.id, s.id, { isChecked: checking }))),
    );
  };
  const rename = (s: ChecklistItem, name: string) => {
    const n = name.trim();
    if (!n || n === s.displayName) return;
    void act(`Could not rename the step ${s.displayName}`, async () => replace(await client.checklistItems.update(listId, task.id, s.id, { displayName: n })));
  };
  const remove = (s: ChecklistItem) =>
    act(`Could not delete the step ${s.displayName}`, async () => {
      await client.checklistItems.delete(listId, task.id, s.id);
      setSteps((all) => (all ?? []).filter((x) => x.id !== s.id));
    });

  return (
    <section class="steps" aria-label="Steps">
      <h3>Steps</h3>
      {problem && (
        <p role="alert" class="error">
          {problem}
        </p>
      )}
      {steps === undefined ? (
        <p class="empty">Loading…</p>
      ) : (
        steps.length > 0 && (
          <ul aria-label="Steps of this task">
            {steps.map((s) => (
              <li key={s.id} class={s.isChecked ? "checked" : ""}>
                <input type="checkbox" checked={toggling[s.id] ?? s.isChecked === true} aria-label={`Step done: ${s.displayName}`} onChange={() => void toggle(s)} />
                <input
                  class="step-name"
                  aria-label={`Step name: ${s.displayName}`}
                  defaultValue={s.displayName}
                  onBlur={(e) => rename(s, (e.target as HTMLInputElement).value)}
                  onKeyDown={(e) => e.key === "Enter" && rename(s, (e.target as HTMLInputElement).value)}
                />
                <button type="button" class="link" aria-label={`Delete step ${s.displayName}`} onClick={() => void remove(s)}>
                  Delete
                </button>
              </li>
            ))}
          </ul>
        )
      )}
      <input
        aria-label="Add a step"
        placeholder="Add a step"
        value={adding}
        onInput={(e) => setAdding((e.target as HTMLInputElement).value)}
        onKeyDown={(e) => e.key === "Enter" && add()}
      />
    </section>
  );
}
