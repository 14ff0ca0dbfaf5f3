// `$expand`: which navigation properties to embed, each with its own options in parentheses
// (`checklistItems($select=displayName;$top=5)`). Pure: the routes fetch what this names.
// The syntax is OData's (comma-separated items, `;`-separated options inside parentheses); a
// malformed one gets the 400 Graph gives ("Parsing OData Select and Expand failed: …"), an unknown
// navigation property the 400 Graph gives for an unknown property. Inside parentheses $select,
// $filter, $orderby and $top are honoured; $skip, $count, $search, $levels and a nested $expand are
// refused, never ignored (docs/graph-behaviour.md, "$expand").
import { errors } from "./errors.js";
import type { ChildKind } from "./models.js";
import { parseQuery, type EntityShape, type QueryOptions } from "./odata.js";

/** What an entity type's `$expand` may name: each navigation property's key and its items' shape, or `null` when Taskdrop does not expand it. */
export interface Navigation<K extends string> {
  typeName: string;
  props: Readonly<Record<string, { key: K; shape: EntityShape } | null>>;
  /** Why a known but unexpanded property is refused (the message names what to do instead). */
  refused?: Readonly<Record<string, string>>;
}

/** One expanded navigation property with its nested options (defaults when none were given). */
export interface Expansion<K extends string> {
  key: K;
  name: string;
  options: QueryOptions;
  /** The nested options as given, for a nextLink of a cut expanded collection. */
  raw: Record<string, string>;
}

const NESTED_REFUSED = new Set(["$skip", "$count", "$search", "$levels", "$expand", "$format", "$skiptoken", "$deltatoken", "$apply", "$compute"]);

const malformed = (why: string) => errors.invalid(`Parsing OData Select and Expand failed: ${why}`);

/** Splits `s` at `sep` outside parentheses (and outside quoted strings, where `(` `,` `;` may appear). */
function splitTop(s: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === "'") quoted = !quoted;
    else if (quoted) continue;
    else if (ch === "(") depth++;
    else if (ch === ")") {
      depth--;
      if (depth < 0) throw malformed("Found an unbalanced bracket expression.");
    } else if (ch === sep && depth === 0) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0 || quoted) throw malformed(quoted ? "There is an unterminated string literal." : "Found an unbalanced bracket expression.");
  parts.push(s.slice(start));
  return parts;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `name` or `name(opt=v;opt=v)`, syntax only. */
export function parseExpandSyntax(raw: string): Array<{ name: string; options: Record<string, string> }> {
  const items: Array<{ name: string; options: Record<string, string> }> = [];
  for (const part of splitTop(raw, ",")) {
    const item = part.trim();
    const open = item.indexOf("(");
    const name = (open < 0 ? item : item.slice(0, open)).trim();
    if (name === "") throw malformed(`Expected a navigation property name in '${raw.slice(0, 64)}'.`);
    if (!NAME.test(name)) {
      // `a/b` paths and casts: To Do's navigation properties have no type to cast to or drill into.
      if (name.includes("/")) throw malformed(`Found a path with multiple navigation properties or a type segment in '${name.slice(0, 64)}'; use nested options instead.`);
      if (name === "*") throw errors.invalid("$expand=* is not supported; name the navigation properties.");
      throw malformed(`Syntax error at '${name.slice(0, 64)}'.`);
    }
    const options: Record<string, string> = {};
    if (open >= 0) {
      if (!item.endsWith(")")) throw malformed(`Syntax error after ')' in '${item.slice(0, 64)}'.`);
      const inner = item.slice(open + 1, -1);
      if (inner.trim() === "") throw malformed(`Empty options in '${item.slice(0, 64)}'.`);
      for (const opt of splitTop(inner, ";")) {
        const eq = opt.indexOf("=");
        const k = (eq < 0 ? opt : opt.slice(0, eq)).trim();
        if (eq < 0 || k === "") throw malformed(`Syntax error at '${opt.trim().slice(0, 64)}': an option needs a name and a value.`);
        const lower = k.toLowerCase();
        if (Object.hasOwn(options, lower)) throw errors.invalid(`Query option ${lower} was given more than once in $expand=${name}(…).`);
        options[lower] = opt.slice(eq + 1).trim();
      }
    }
    items.push({ name, options });
  }
  return items;
}

/**
 * The expansions `$expand` asks for on `nav`'s type, in the order given, each once. `maxTop` bounds
 * `$top` inside parentheses (the whole expanded collection is read otherwise: a task's children are
 * few); `defaultTop` is what an expanded collection carries when no `$top` is given.
 */
export function parseExpand<K extends string>(
  query: Record<string, string | string[] | undefined>,
  nav: Navigation<K>,
  bounds: { defaultTop: number; maxTop: number },
): Array<Expansion<K>> {
  const raw = query.$expand;
  if (raw === undefined) return [];
  if (Array.isArray(raw)) throw errors.invalid("Query option $expand was given more than once.");
  const out: Array<Expansion<K>> = [];
  for (const { name, options } of parseExpandSyntax(raw)) {
    const found = Object.hasOwn(nav.props, name) ? nav.props[name] : undefined;
    if (found === undefined) throw errors.invalid(`Could not find a property named '${name.slice(0, 64)}' on type '${nav.typeName}'.`);
    if (found === null) throw errors.invalid(nav.refused?.[name] ?? `$expand=${name} is not supported on ${nav.typeName}.`);
    const twice = out.find((e) => e.key === found.key);
    if (twice && Object.keys(twice.raw).length === 0 && Object.keys(options).length === 0) continue;
    if (twice) throw errors.invalid(`The navigation property '${name}' is expanded more than once.`);
    for (const k of Object.keys(options)) {
      if (NESTED_REFUSED.has(k)) throw errors.invalid(`Query option '${k}' is not supported inside $expand=${name}(…).`);
      if (!k.startsWith("$")) throw malformed(`'${k.slice(0, 64)}' is not a system query option; inside $expand only $select, $filter, $orderby and $top are allowed.`);
    }
    const parsed = parseQuery(options, found.shape);
    if (parsed.topGiven !== undefined && parsed.topGiven > bounds.maxTop) {
      throw errors.invalid(`The value of $top inside $expand=${name}(…) (${parsed.topGiven}) exceeds the maximum of ${bounds.maxTop}.`);
    }
    out.push({ key: found.key, name, options: { ...parsed, top: parsed.topGiven ?? bounds.defaultTop }, raw: options });
  }
  return out;
}

/** The child kinds on a plain `$expand` (no options): what delta rounds carry in their tokens. */
export function plainKinds(expansions: Array<Expansion<ChildKind>>): ChildKind[] {
  for (const e of expansions) {
    if (Object.keys(e.raw).length > 0) throw errors.invalid(`Options inside $expand=${e.name}(…) are not supported on delta; expand the navigation property whole.`);
  }
  return expansions.map((e) => e.key);
}
