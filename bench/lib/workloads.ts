// What the load generator does per repetition. Sizes are binary (MiB), rates decimal (MB = 10^6).
export const MiB = 1024 * 1024;

export type MetricName =
  | "mbps"
  | "sessionsPerSec"
  | "rangeP50Ms"
  | "rangeP99Ms"
  | "sessionP50Ms"
  | "sessionP99Ms"
  | "peakRssMB"
  | "cpuSecPerGB"
  | "cpuMsPerUpload"
  // The `queries` workload (bench/lib/queries.ts), per request shape:
  | "defaultP50Ms"
  | "defaultP99Ms"
  | "filteredP99Ms"
  | "orderedP99Ms"
  | "skipP99Ms"
  | "deepTokenP99Ms"
  | "otherBusyP50Ms"
  | "otherBusyP99Ms"
  | "heavyP50Ms";

export interface Workload {
  name: string;
  /** One line for the report. */
  title: string;
  /** Uploads per repetition, run by `concurrency` workers that each take the next one. */
  uploads: number;
  size: number;
  rangeSize: number;
  concurrency: number;
  /** Columns of the report table, the first one being the headline figure. */
  metrics: MetricName[];
  /** A request-latency workload on a big list instead of uploads (Taskdrop targets only). */
  queries?: { tasks: number; samples: number };
}

export const METRIC_LABELS: Record<MetricName, { label: string; higherIsBetter: boolean; digits: number }> = {
  mbps: { label: "MB/s", higherIsBetter: true, digits: 0 },
  sessionsPerSec: { label: "sessions/s", higherIsBetter: true, digits: 0 },
  rangeP50Ms: { label: "range p50 ms", higherIsBetter: false, digits: 1 },
  rangeP99Ms: { label: "range p99 ms", higherIsBetter: false, digits: 1 },
  sessionP50Ms: { label: "session p50 ms", higherIsBetter: false, digits: 1 },
  sessionP99Ms: { label: "session p99 ms", higherIsBetter: false, digits: 1 },
  peakRssMB: { label: "server peak RSS MB", higherIsBetter: false, digits: 0 },
  // On a 2-core machine with the load generator on one core, server CPU per byte is throughput.
  cpuSecPerGB: { label: "server CPU s/GB", higherIsBetter: false, digits: 2 },
  cpuMsPerUpload: { label: "server CPU ms/upload", higherIsBetter: false, digits: 2 },
  defaultP50Ms: { label: "default page p50 ms", higherIsBetter: false, digits: 1 },
  defaultP99Ms: { label: "default page p99 ms", higherIsBetter: false, digits: 1 },
  filteredP99Ms: { label: "filtered p99 ms", higherIsBetter: false, digits: 1 },
  orderedP99Ms: { label: "ordered p99 ms", higherIsBetter: false, digits: 1 },
  skipP99Ms: { label: "deep $skip p99 ms", higherIsBetter: false, digits: 1 },
  deepTokenP99Ms: { label: "deep $skiptoken p99 ms", higherIsBetter: false, digits: 1 },
  otherBusyP50Ms: { label: "other user p50 ms", higherIsBetter: false, digits: 1 },
  otherBusyP99Ms: { label: "other user p99 ms", higherIsBetter: false, digits: 1 },
  heavyP50Ms: { label: "heavy query p50 ms", higherIsBetter: false, digits: 0 },
};

const BIG = ["mbps", "rangeP50Ms", "rangeP99Ms", "peakRssMB", "cpuSecPerGB"] as MetricName[];

/** Every workload; `quick` shrinks them (see QUICK_DEFAULT for which run by default). */
export function workloads(quick: boolean): Workload[] {
  const seq = quick ? 3 : 5;
  const small = quick ? 300 : 1000;
  // Quick mode keeps 64 ranges of 4 MiB in flight (what memory depends on) but writes less.
  const c64Size = quick ? 8 : 25;
  // Quick mode seeds a tenth of the list (seeding 20,000 tasks takes a minute or two).
  const qTasks = quick ? 2000 : 20000;
  const qSamples = quick ? 60 : 200;
  return [
    {
      name: "single",
      title: `${seq} × 25 MiB, one after another, in 4 MiB ranges`,
      uploads: seq,
      size: 25 * MiB,
      rangeSize: 4 * MiB,
      concurrency: 1,
      metrics: BIG,
    },
    { name: "concurrent16", title: "16 concurrent uploads of 25 MiB in 4 MiB ranges", uploads: 16, size: 25 * MiB, rangeSize: 4 * MiB, concurrency: 16, metrics: BIG },
    {
      name: "concurrent64",
      title: `64 concurrent uploads of ${c64Size} MiB in 4 MiB ranges`,
      uploads: 64,
      size: c64Size * MiB,
      rangeSize: 4 * MiB,
      concurrency: 64,
      metrics: BIG,
    },
    {
      name: "small",
      title: `${small} sessions of 100 KB (create + one PUT) at concurrency 32`,
      uploads: small,
      size: 100_000,
      rangeSize: 4 * MiB,
      concurrency: 32,
      metrics: ["sessionsPerSec", "sessionP50Ms", "sessionP99Ms", "peakRssMB", "cpuMsPerUpload"],
    },
    {
      name: "queries",
      title: `one list of ${qTasks} tasks of 2 KB: GET latencies, one at a time (${qSamples} samples each), and another user's GET /lists while four $top=999 queries run`,
      uploads: 0,
      size: 0,
      rangeSize: 0,
      concurrency: 1,
      metrics: ["defaultP99Ms", "defaultP50Ms", "filteredP99Ms", "orderedP99Ms", "skipP99Ms", "deepTokenP99Ms", "otherBusyP50Ms", "otherBusyP99Ms", "heavyP50Ms"],
      queries: { tasks: qTasks, samples: qSamples },
    },
  ];
}

/** What --quick runs unless --workloads says otherwise: one of each kind the aims speak of. */
export const QUICK_DEFAULT = ["single", "concurrent64", "small", "queries"];
