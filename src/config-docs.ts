// The options table of docs/configuration.md, rendered from OPTIONS so the docs cannot drift from
// the code: `node scripts/gen-docs.mjs` writes it, test/unit/config-docs.test.ts fails when stale.
import { OPTIONS, optionEnvNames, optionFlag, type OptionName } from "./config.js";

export const OPTIONS_BEGIN = "<!-- options:begin (generated from src/config.ts by `node scripts/gen-docs.mjs`; do not edit) -->";
export const OPTIONS_END = "<!-- options:end -->";

const code = (s: string) => `\`${s}\``;

export function renderOptionsTable(): string {
  const rows = (Object.keys(OPTIONS) as OptionName[]).map((name) => {
    const o = OPTIONS[name];
    const env = optionEnvNames(name).map(code).join(" or ");
    const def = o.def === "" ? "—" : code(o.def);
    return `| ${code(optionFlag(name))} | ${env} | ${def} | ${o.help.replace(/\|/g, "\\|")} |`;
  });
  return ["| flag | environment | default | what it does |", "|---|---|---|---|", ...rows].join("\n");
}

/** The document with its generated block replaced; throws when the markers are missing. */
export function withOptionsTable(doc: string): string {
  const a = doc.indexOf(OPTIONS_BEGIN);
  const b = doc.indexOf(OPTIONS_END);
  if (a < 0 || b < a) throw new Error("docs/configuration.md lacks the options:begin/options:end markers");
  return `${doc.slice(0, a + OPTIONS_BEGIN.length)}\n${renderOptionsTable()}\n${doc.slice(b)}`;
}
