// Reads a V8 .cpuprofile (what `node --cpu-prof` writes at exit) and ranks functions by self time,
// so a bench run can say where the Taskdrop server spends its CPU without opening a profiler UI.
import { readFile } from "node:fs/promises";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface Frame {
  /** "name (file:line)", the file relative to the package where it is one of ours. */
  frame: string;
  selfMs: number;
  /** Share of the busy (non-idle) time. */
  percent: number;
}

function describe(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName || "(anonymous)";
  if (!url) return name;
  const file = url.replace(/^file:\/\//, "").replace(/^.*\/(dist|node_modules)\//, "$1/");
  return `${name} (${file}:${lineNumber + 1})`;
}

/** Top `n` frames by self time; idle time is left out of the shares. */
export function topFrames(profile: CpuProfile, n: number): { busyMs: number; frames: Frame[] } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<string, number>();
  let busyUs = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    if (!node || node.callFrame.functionName === "(idle)") return;
    // A sample's delta is the time since the previous sample; V8 puts it on the later sample.
    const dt = profile.timeDeltas[i] ?? 0;
    const key = describe(node);
    selfUs.set(key, (selfUs.get(key) ?? 0) + dt);
    busyUs += dt;
  });
  const frames = [...selfUs.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([frame, us]) => ({ frame, selfMs: us / 1000, percent: busyUs > 0 ? (100 * us) / busyUs : 0 }));
  return { busyMs: busyUs / 1000, frames };
}

export async function readTopFrames(file: string, n: number): Promise<{ busyMs: number; frames: Frame[] }> {
  return topFrames(JSON.parse(await readFile(file, "utf8")) as CpuProfile, n);
}

export function renderFrames(title: string, top: { busyMs: number; frames: Frame[] }): string {
  const lines = top.frames.map((f) => `  ${f.percent.toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(7)} ms  ${f.frame}`);
  return `${title}: ${top.busyMs.toFixed(0)} ms busy on the main thread, top frames by self time\n${lines.join("\n")}`;
}
