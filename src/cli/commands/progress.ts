// Progress of transfers, three ways: bars on a terminal (cli-progress, one per file), plain lines
// when stderr is not a terminal, or JSON events (one per line on stdout) with --json.
import cliProgress from "cli-progress";
import { formatBytes, formatDuration } from "./shared.js";

export interface Reporter {
  /** A file is known (queued); its bar or line appears. */
  add(id: string, label: string, total: number): void;
  progress(id: string, bytes: number): void;
  note(id: string, text: string): void;
  /** The file is done: `line` for people, `event` for --json. */
  finish(id: string, line: string, event: Record<string, unknown>): void;
  fail(id: string, line: string, event: Record<string, unknown>): void;
  stop(): void;
}

interface Track {
  label: string;
  total: number;
  bytes: number;
  /** Bytes and time of the first report in this run, for the rate (a resume starts mid-way). */
  fromBytes?: number;
  fromTime?: number;
  lastLine: number;
}

function rateAndEta(t: Track): { rate: string; eta: string } {
  if (t.fromTime === undefined || t.fromBytes === undefined) return { rate: "--", eta: "--" };
  const secs = (Date.now() - t.fromTime) / 1000;
  const perSec = secs > 0.05 ? (t.bytes - t.fromBytes) / secs : 0;
  if (t.bytes >= t.total) return { rate: perSec > 0 ? `${formatBytes(perSec)}/s` : "--", eta: "0s" };
  return { rate: perSec > 0 ? `${formatBytes(perSec)}/s` : "--", eta: perSec > 0 ? formatDuration((t.total - t.bytes) / perSec) : "--" };
}

function observe(t: Track, bytes: number): void {
  t.bytes = bytes;
  if (t.fromTime === undefined) {
    t.fromTime = Date.now();
    t.fromBytes = bytes;
  }
}

const pct = (t: Track) => (t.total === 0 ? 100 : Math.floor((t.bytes / t.total) * 100));

export function makeReporter(o: { json: boolean; tty: boolean; labelWidth?: number }): Reporter {
  if (o.json) return jsonReporter();
  return o.tty ? barReporter(o.labelWidth ?? 20) : lineReporter();
}

function jsonReporter(): Reporter {
  const tracks = new Map<string, Track>();
  const emit = (e: Record<string, unknown>) => process.stdout.write(JSON.stringify(e) + "\n");
  return {
    add: (id, label, total) => void tracks.set(id, { label, total, bytes: 0, lastLine: 0 }),
    progress(id, bytes) {
      const t = tracks.get(id)!;
      observe(t, bytes);
      const now = Date.now();
      if (now - t.lastLine < 500 && bytes < t.total) return;
      t.lastLine = now;
      emit({ event: "progress", file: id, bytes, total: t.total });
    },
    note: (id, text) => emit({ event: "retry", file: id, message: text }),
    finish: (_id, _line, event) => emit(event),
    fail: (_id, _line, event) => emit(event),
    stop: () => {},
  };
}

function lineReporter(): Reporter {
  const tracks = new Map<string, Track>();
  const say = (s: string) => process.stderr.write(s + "\n");
  return {
    add: (id, label, total) => void tracks.set(id, { label, total, bytes: 0, lastLine: 0 }),
    progress(id, bytes) {
      const t = tracks.get(id)!;
      observe(t, bytes);
      // At most one line a second per file, and the last one always.
      const now = Date.now();
      if (now - t.lastLine < 1000 && bytes < t.total) return;
      t.lastLine = now;
      const { rate, eta } = rateAndEta(t);
      say(`${t.label}: ${formatBytes(bytes)} / ${formatBytes(t.total)} (${pct(t)}%)  ${rate}  ETA ${eta}`);
    },
    note: (id, text) => say(`${tracks.get(id)?.label ?? id}: ${text}`),
    finish: (_id, line) => void process.stdout.write(line + "\n"),
    fail: (_id, line) => say(line),
    stop: () => {},
  };
}

function barReporter(labelWidth: number): Reporter {
  const multi = new cliProgress.MultiBar(
    {
      format: "{label} {bar} {percentage}% | {done} / {size} | {speed} | ETA {etaText}{note}",
      barsize: 24,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      autopadding: true,
      fps: 8,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  const tracks = new Map<string, Track & { bar: cliProgress.SingleBar; note: string }>();
  const fit = (s: string) => (s.length > labelWidth ? `${s.slice(0, labelWidth - 1)}…` : s.padEnd(labelWidth));
  // Payload names avoid cli-progress's own tokens ({eta}, {value}, {total}...), which would win.
  const payload = (t: Track & { note: string }) => {
    const { rate, eta } = rateAndEta(t);
    return { label: fit(t.label), done: formatBytes(t.bytes), size: formatBytes(t.total), speed: rate, etaText: eta, note: t.note };
  };
  const lines: string[] = [];
  const failures: string[] = [];
  return {
    add(id, label, total) {
      const t = { label, total, bytes: 0, lastLine: 0, note: "", bar: undefined as unknown as cliProgress.SingleBar };
      t.bar = multi.create(Math.max(total, 1), 0, payload(t));
      tracks.set(id, t);
    },
    progress(id, bytes) {
      const t = tracks.get(id)!;
      observe(t, bytes);
      t.note = "";
      t.bar.update(t.total === 0 ? 1 : bytes, payload(t));
    },
    note(id, text) {
      const t = tracks.get(id)!;
      t.note = `  (${text})`;
      t.bar.update(t.total === 0 ? (t.bytes > 0 ? 1 : 0) : t.bytes, payload(t));
    },
    finish(id, line) {
      const t = tracks.get(id)!;
      t.bytes = t.total;
      t.note = "  done";
      t.bar.update(Math.max(t.total, 1), payload(t));
      lines.push(line);
    },
    fail(id, line) {
      const t = tracks.get(id)!;
      t.note = "  stopped";
      t.bar.update(t.total === 0 ? 0 : t.bytes, payload(t));
      failures.push(line);
    },
    stop() {
      // One last frame with every bar's final state (updates within the frame interval are not drawn).
      multi.update();
      multi.stop();
      // Results after the bars, so they are not overdrawn.
      for (const l of lines) process.stdout.write(l + "\n");
      for (const l of failures) process.stderr.write(l + "\n");
    },
  };
}
