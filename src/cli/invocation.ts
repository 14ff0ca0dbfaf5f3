// How the user can run this very CLI again from where they stand, for the hints it prints
// (the start banner, "continue with …"): `taskdrop` only when that name on the PATH is this CLI,
// `npx taskdrop` inside a checkout or a project that has it installed, else `node <path>`.
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { delimiter, dirname, isAbsolute, join, relative } from "node:path";

/** Quoted for a POSIX shell when it needs to be. */
export function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

const real = (p: string): string | undefined => {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
};

/** The nearest folder at or above `cwd` holding a package.json: where npx looks for local commands. */
function projectRoot(cwd: string): string | undefined {
  for (let dir = cwd; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/** Whether `npx taskdrop`, typed in `cwd`, runs the CLI at `self` (a real path). */
function npxRunsSelf(cwd: string, self: string): boolean {
  const root = projectRoot(cwd);
  if (!root) return false;
  if (real(join(root, "node_modules", ".bin", "taskdrop")) === self) return true;
  try {
    // The checkout itself: npx runs a project's own bin by its package name.
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { name?: string; bin?: string | Record<string, string> };
    const bin = typeof pkg.bin === "string" ? pkg.bin : pkg.bin?.taskdrop;
    return pkg.name === "taskdrop" && bin !== undefined && real(join(root, bin)) === self;
  } catch {
    return false;
  }
}

export function detectInvocation(entry: string, cwd: string, pathVar: string): string {
  const self = real(entry);
  if (self === undefined) return "taskdrop";
  // npm puts node_modules/.bin folders (and npx's cache) on the PATH of what it runs: a `taskdrop`
  // found there is not one the user's own shell would find.
  for (const dir of pathVar.split(delimiter)) {
    if (!dir || !isAbsolute(dir) || /node_modules|[\\/]_npx[\\/]/.test(dir)) continue;
    if (real(join(dir, "taskdrop")) === self) return "taskdrop";
  }
  if (npxRunsSelf(cwd, self)) return "npx taskdrop";
  const rel = relative(cwd, self);
  return `node ${shellQuote(rel.startsWith("..") ? self : rel)}`;
}

let cached: string | undefined;

/** The command that runs this CLI from the current directory (`npx taskdrop`, `taskdrop`, `node …`). */
export function invocation(): string {
  return (cached ??= detectInvocation(process.argv[1] ?? "", process.cwd(), process.env.PATH ?? ""));
}
