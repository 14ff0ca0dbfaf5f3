// Turns repetitions into min/median/max, ratios of medians and the aims; prints tables.
import { spread, type Spread } from "./stats.js";
import { METRIC_LABELS, type MetricName, type Workload } from "./workloads.js";

export type RepMetrics = Partial<Record<MetricName, number>> & {
  elapsedMs?: number;
  idleRssMB?: number;
  /** CPU use over the measured phase, 1 = one core busy. */
  serverCpu?: number;
  loadgenCpu?: number;
};

export interface Rep {
  metrics?: RepMetrics;
  error?: string;
}

/** results[workload][target] = repetitions in the order they ran. */
export type Results = Record<string, Record<string, Rep[]>>;

export type Summary = Record<string, Record<string, Partial<Record<MetricName, Spread>>>>;

export function summarise(workloads: Workload[], targets: string[], results: Results): Summary {
  const out: Summary = {};
  for (const w of workloads) {
    out[w.name] = {};
    for (const t of targets) {
      const reps = (results[w.name]?.[t] ?? []).filter((r) => r.metrics);
      const s: Partial<Record<MetricName, Spread>> = {};
      for (const m of w.metrics) {
        const sp = spread(reps.map((r) => r.metrics![m] ?? NaN));
        if (sp) s[m] = sp;
      }
      out[w.name]![t] = s;
    }
  }
  return out;
}

export interface Ratio {
  workload: string;
  metric: MetricName;
  pair: string;
  value: number;
}

/** Which "a/b" pairs to show: every target against the baseline, and Taskdrop against tus. */
/** The targets of another checkout's build (bench --ref) are yardsticks, not held to the aims. */
const REF = "taskdrop-ref";
const isRef = (t: string) => t.startsWith(REF);

export function ratioPairs(targets: string[]): [string, string][] {
  const pairs: [string, string][] = [];
  const td = targets.filter((t) => t.startsWith("taskdrop"));
  for (const t of td) {
    if (targets.includes("baseline")) pairs.push([t, "baseline"]);
    if (targets.includes("tus")) pairs.push([t, "tus"]);
  }
  for (const t of targets) if (!t.startsWith("taskdrop") && t !== "baseline" && targets.includes("baseline")) pairs.push([t, "baseline"]);
  // --ref: this build against the reference build, the same run's before/after.
  if (targets.includes("taskdrop") && targets.includes(REF)) pairs.push(["taskdrop", REF]);
  if (targets.includes("taskdrop-pg") && targets.includes(`${REF}-pg`)) pairs.push(["taskdrop-pg", `${REF}-pg`]);
  return pairs;
}

export function ratios(workloads: Workload[], targets: string[], summary: Summary): Ratio[] {
  const out: Ratio[] = [];
  for (const w of workloads) {
    for (const m of w.metrics) {
      for (const [a, b] of ratioPairs(targets)) {
        const x = summary[w.name]?.[a]?.[m]?.median;
        const y = summary[w.name]?.[b]?.[m]?.median;
        if (x !== undefined && y !== undefined && y !== 0) out.push({ workload: w.name, metric: m, pair: `${a}/${b}`, value: x / y });
      }
    }
  }
  return out;
}

export interface Aim {
  target: string;
  aim: string;
  status: "met" | "NOT MET" | "n/a";
  detail: string;
}

/**
 * The performance targets (issue 16), reported (never asserted) for each Taskdrop target that ran.
 * Each compares medians of the same run, so a busy machine slows both sides alike.
 */
export function aims(targets: string[], summary: Summary): Aim[] {
  const out: Aim[] = [];
  const med = (w: string, t: string, m: MetricName) => summary[w]?.[t]?.[m]?.median;
  const times = (x: number, y: number) => `${x.toFixed(x < 10 ? 2 : 0)} vs ${y.toFixed(y < 10 ? 2 : 0)} (${(x / y).toFixed(2)}×)`;
  for (const t of targets.filter((x) => x.startsWith("taskdrop") && !isRef(x))) {
    const at = (aim: string, x: number | undefined, y: number | undefined, ok: (x: number, y: number) => boolean, show = times) => {
      if (x === undefined || y === undefined) out.push({ target: t, aim, status: "n/a", detail: "workload or target not run" });
      else out.push({ target: t, aim, status: ok(x, y) ? "met" : "NOT MET", detail: show(x, y) });
    };
    const atLeast = (w: string, m: MetricName, other: string, factor: number) =>
      at(`${w}: ${METRIC_LABELS[m].label} ≥ ${factor}× ${other}`, med(w, t, m), med(w, other, m), (x, y) => x >= factor * y);
    atLeast("single", "mbps", "baseline", 0.95);
    atLeast("concurrent16", "mbps", "baseline", 1.0);
    atLeast("concurrent64", "mbps", "baseline", 1.0);
    atLeast("concurrent64", "mbps", "tus", 1.3);
    atLeast("small", "sessionsPerSec", "baseline", 0.6);
    atLeast("small", "sessionsPerSec", "tus", 1.5);
    for (const w of ["single", "concurrent16", "concurrent64"]) {
      at(`${w}: server CPU s/GB ≤ 1.2× baseline`, med(w, t, "cpuSecPerGB"), med(w, "baseline", "cpuSecPerGB"), (x, y) => x <= 1.2 * y);
    }
    const rssCap = t === "taskdrop-pg" ? 150 : 130;
    at(`concurrent64: server peak RSS ≤ ${rssCap} MB`, med("concurrent64", t, "peakRssMB"), rssCap, (x, y) => x <= y, (x) => `${x.toFixed(0)} MB`);
    // Issue 15: absolute latencies at 20,000 tasks (a --quick run seeds fewer and says less).
    const cap = (m: MetricName, what: string) => at(`queries: ${what} ≤ 50 ms`, med("queries", t, m), 50, (x, y) => x <= y, (x) => `${x.toFixed(1)} ms`);
    cap("defaultP99Ms", "default page p99");
    cap("otherBusyP99Ms", "other user's GET /lists p99 during four $top=999 queries");
    if (t === "taskdrop-pg") {
      for (const [w, m] of [["single", "mbps"], ["concurrent16", "mbps"], ["concurrent64", "mbps"], ["small", "sessionsPerSec"]] as const) {
        at(`${w}: PostgreSQL store ≥ 0.5× embedded (${METRIC_LABELS[m].label})`, med(w, t, m), med(w, "taskdrop", m), (x, y) => x >= 0.5 * y);
      }
    }
  }
  return out;
}

function fmt(v: number | undefined, digits: number): string {
  if (v === undefined || !Number.isFinite(v)) return "-";
  return v.toFixed(digits);
}

/** Aligns columns: the first `left` ones to the left (text), the rest to the right (figures). */
function table(rows: string[][], left = 1): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i < left ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("   ").trimEnd()).join("\n");
}

export function renderWorkload(w: Workload, targets: string[], summary: Summary, results: Results): string {
  const head = ["target", ...w.metrics.map((m) => `${METRIC_LABELS[m].label} (min/med/max)`)];
  const rows = [head];
  for (const t of targets) {
    const s = summary[w.name]?.[t] ?? {};
    const failed = (results[w.name]?.[t] ?? []).filter((r) => r.error).length;
    const cells = w.metrics.map((m) => {
      const sp = s[m];
      const d = METRIC_LABELS[m].digits;
      return sp ? `${fmt(sp.min, d)} / ${fmt(sp.median, d)} / ${fmt(sp.max, d)}` : "-";
    });
    rows.push([failed ? `${t} (${failed} failed)` : t, ...cells]);
  }
  return `${w.name}: ${w.title}\n${table(rows)}`;
}

export function renderRatios(workloads: Workload[], targets: string[], rs: Ratio[]): string {
  const pairs = ratioPairs(targets).map(([a, b]) => `${a}/${b}`);
  if (pairs.length === 0) return "";
  const rows = [["workload", "metric", ...pairs]];
  for (const w of workloads) {
    for (const m of w.metrics) {
      const cells = pairs.map((p) => fmt(rs.find((r) => r.workload === w.name && r.metric === m && r.pair === p)?.value, 2));
      if (cells.some((c) => c !== "-")) rows.push([w.name, `${METRIC_LABELS[m].label} (${METRIC_LABELS[m].higherIsBetter ? "higher" : "lower"} is better)`, ...cells]);
    }
  }
  return `Ratios of medians, same run\n${table(rows, 2)}`;
}

export function renderAims(list: Aim[]): string {
  if (list.length === 0) return "";
  const missed = list.filter((a) => a.status === "NOT MET").length;
  const verdict = missed === 0 ? "every target that could be measured was met" : `${missed} target(s) NOT MET`;
  return `Targets (reported, not asserted): ${verdict}\n${table([["target", "aim", "status", "figures"], ...list.map((a) => [a.target, a.aim, a.status, a.detail])], 4)}`;
}
