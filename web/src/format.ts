// How the page says sizes, speeds and durations, and why a file is refused before any request.
// Pure functions (unit-tested in test/unit/web-format.test.ts).

const UNITS = ["bytes", "KiB", "MiB", "GiB"] as const;

/** 0 bytes, 1 byte, 999 bytes, 1.0 KiB, 20.0 MiB: binary units, as the 25 MiB limit is. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return "—";
  if (n < 1024) return n === 1 ? "1 byte" : `${Math.round(n)} bytes`;
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 100 ? Math.round(v) : v.toFixed(1)} ${UNITS[u]}`;
}

export function formatSpeed(bytesPerSecond: number | undefined): string {
  if (bytesPerSecond === undefined || !Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return "—";
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** 0 s, 59 s, 1 min 5 s, 2 h 3 min. */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return "—";
  const s = Math.ceil(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ""}`;
  const m = Math.floor(s / 60);
  return `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ""}`;
}

/** Largest attachment a To Do upload session takes: 25 MiB (the spec's and Graph's limit). */
export const MAX_FILE_BYTES = 26_214_400;

/** Why this file cannot be attached at all, said before any request is made; undefined when it can. */
export function refusalReason(name: string, size: number): string | undefined {
  if (size > MAX_FILE_BYTES) {
    return `${name} is ${formatBytes(size)} (${size.toLocaleString("en")} bytes): To Do attachments can be at most 25 MiB (${MAX_FILE_BYTES.toLocaleString("en")} bytes). Nothing was sent.`;
  }
  if (name.trim() === "") return "A file without a name cannot be attached.";
  return undefined;
}

/**
 * Upload speed over a sliding window of acknowledged bytes, so one slow or fast range does not
 * swing the estimate; time left follows from it.
 */
export class SpeedMeter {
  private samples: { at: number; bytes: number }[] = [];
  constructor(private readonly windowMs = 5_000) {}

  /** Acknowledged byte count at time `at` (ms). A count lower than before (a restart) resets the window. */
  add(at: number, bytes: number): void {
    const last = this.samples[this.samples.length - 1];
    if (last && bytes < last.bytes) this.samples = [];
    this.samples.push({ at, bytes });
    while (this.samples.length > 2 && this.samples[0]!.at < at - this.windowMs) this.samples.shift();
  }

  /** Forget the window (after a pause: the time without progress says nothing about speed). */
  reset(): void {
    this.samples = [];
  }

  /** Bytes per second, or undefined until two samples span some time. */
  speed(): number | undefined {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.at - first.at < 50 || last.bytes === first.bytes) return undefined;
    return ((last.bytes - first.bytes) * 1000) / (last.at - first.at);
  }

  /** Seconds until `total` at the current speed. */
  secondsLeft(total: number): number | undefined {
    const v = this.speed();
    const last = this.samples[this.samples.length - 1];
    if (v === undefined || !last) return undefined;
    return Math.max(0, (total - last.bytes) / v);
  }
}
