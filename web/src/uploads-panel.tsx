// One row per file: a progress bar named with the file name, bytes done of total, speed, time
// left, and Cancel; refusals and failures in words (role="alert"); paused uploads with a file
// input to choose the same file again.
import { useEffect, useState } from "preact/hooks";
import { formatBytes, formatDuration, formatSpeed } from "./format.js";
import type { UploadRow, Uploads } from "./uploads.js";

export function percent(r: Pick<UploadRow, "uploaded" | "size" | "state">): number {
  if (r.size === 0) return r.state === "done" ? 100 : 0;
  return Math.min(100, Math.floor((r.uploaded / r.size) * 100));
}

const ACTIVE = new Set(["checking", "queued", "uploading", "retrying", "cancelling"]);

export function UploadsPanel({ uploads }: { uploads: Uploads }) {
  const [rows, setRows] = useState(uploads.rows);
  useEffect(() => {
    setRows(uploads.rows);
    return uploads.subscribe(() => setRows(uploads.rows));
  }, [uploads]);
  if (rows.length === 0) return null;
  return (
    <section class="uploads" aria-label="Uploads">
      <h2>Uploads</h2>
      <ul>
        {rows.map((r) => (
          <Row key={r.id} r={r} uploads={uploads} />
        ))}
      </ul>
    </section>
  );
}

function Row({ r, uploads }: { r: UploadRow; uploads: Uploads }) {
  const pct = percent(r);
  const refused = r.state === "refused";
  return (
    <li class={`upload ${r.state}`} data-state={r.state}>
      <div class="upload-head">
        <span class="name">{r.name}</span>
        <span class="to">to {r.taskTitle}</span>
      </div>
      {!refused && (
        <div
          class="bar"
          role="progressbar"
          aria-label={r.name}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={pct}
          aria-valuetext={`${pct} %, ${formatBytes(r.uploaded)} of ${formatBytes(r.size)}`}
        >
          <span style={{ width: `${pct}%` }} />
        </div>
      )}
      {!refused && (
        <div class="figures">
          <span class="bytes">
            {formatBytes(r.uploaded)} of {formatBytes(r.size)}
          </span>
          {(r.state === "uploading" || r.state === "retrying") && (
            <>
              <span class="speed">{formatSpeed(r.speed)}</span>
              <span class="left">{r.secondsLeft === undefined ? "time left —" : `${formatDuration(r.secondsLeft)} left`}</span>
            </>
          )}
          {r.resumedFrom !== undefined && r.state !== "done" && <span class="resumed">resumed at {formatBytes(r.resumedFrom)}</span>}
        </div>
      )}
      {r.message &&
        (r.alert ? (
          <p role="alert" class="error">
            {r.message}
          </p>
        ) : (
          <p class="status">{r.message}</p>
        ))}
      <div class="actions">
        {r.state === "paused" && (
          <label class="attach small">
            Choose {r.name} again
            <input
              type="file"
              onChange={(e) => {
                const input = e.target as HTMLInputElement;
                const files = Array.from(input.files ?? []);
                input.value = "";
                if (files.length) void uploads.add(r, files.slice(0, 1), r.id);
              }}
            />
          </label>
        )}
        {(ACTIVE.has(r.state) || r.state === "paused") && r.state !== "cancelling" && (
          <button type="button" aria-label={`Cancel ${r.name}`} onClick={() => void uploads.cancel(r.id)}>
            Cancel
          </button>
        )}
        {!ACTIVE.has(r.state) && r.state !== "paused" && (
          <button type="button" class="link" aria-label={`Dismiss ${r.name}`} onClick={() => uploads.dismiss(r.id)}>
            Dismiss
          </button>
        )}
      </div>
    </li>
  );
}
