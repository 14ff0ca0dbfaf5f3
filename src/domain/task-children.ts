// Validation of checklistItem, linkedResource and openTypeExtension bodies (POST and PATCH): pure,
// strict like task-input.ts — unknown and read-only properties are refused, naming the property.
// The limits are Graph's where its docs or reports state one (docs/graph-behaviour.md), else
// Taskdrop's own bound so that no parent grows without end (docs/differences.md).
import { errors } from "./errors.js";
import { newId } from "./ids.js";
import type { ChildKind, ChildParent, TaskChild } from "./models.js";
import { childReadOnly, patchBody } from "./patch-body.js";
import { MAX_TITLE, requireObject, text } from "./task-input.js";

/** Children of one kind a parent may hold (Taskdrop's bound; Graph documents none). */
export const MAX_CHILDREN: Record<ChildKind, number> = { checklistItem: 100, linkedResource: 100, extension: 10 };
/** Graph refuses a second linkedResource sent inline with a task (InvalidModel). */
export const MAX_INLINE_LINKED_RESOURCES = 1;
export const MAX_URL = 2048;
/** An open extension's custom data, as JSON, at most this many characters (Taskdrop's bound). */
export const MAX_EXTENSION_JSON = 4096;
export const EXTENSION_TYPE = "microsoft.graph.openTypeExtension";
/** The id Graph gives an open extension: its type's name, then the extension's name. */
export const extensionId = (name: string) => `${EXTENSION_TYPE}.${name}`;
const EXTENSION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** An extensionName as the path or a body gives it (the id form is accepted too); the stored id. */
export function extensionIdOf(raw: string): string {
  const name = raw.startsWith(`${EXTENSION_TYPE}.`) ? raw.slice(EXTENSION_TYPE.length + 1) : raw;
  if (!EXTENSION_NAME.test(name)) throw errors.malformedId("The extension id");
  return extensionId(name);
}

const ANNOTATIONS = new Set(["@odata.context", "@odata.etag"]);

function checkKeys(o: Record<string, unknown>, writable: ReadonlySet<string>, readOnly: ReadonlySet<string>, type: string): void {
  for (const k of Object.keys(o)) {
    if (k === "@odata.type") {
      if (o[k] !== `#${type}` && o[k] !== type) throw errors.invalid(`@odata.type must be '#${type}'.`);
      continue;
    }
    if (readOnly.has(k) || ANNOTATIONS.has(k)) throw errors.invalid(`The property '${k}' is read-only and cannot be set.`);
    if (!writable.has(k)) throw errors.invalid(`The property '${k}' does not exist on type '${type}'.`);
  }
}

const CHECKLIST_WRITABLE = new Set(["displayName", "isChecked"]);
const CHECKLIST_READ_ONLY = new Set(["id", "createdDateTime", "checkedDateTime"]);

/**
 * A checklistItem POST (current undefined) or PATCH. `checkedDateTime` is the server's: stamped
 * when `isChecked` turns true, removed when it turns false.
 */
export function applyChecklistInput(body: unknown, current: Record<string, unknown> | undefined, now: Date): Record<string, unknown> {
  const o = requireObject(body);
  checkKeys(o, CHECKLIST_WRITABLE, CHECKLIST_READ_ONLY, "microsoft.graph.checklistItem");
  const doc: Record<string, unknown> = current ? { ...current } : { displayName: "", isChecked: false };
  if (!current && o.displayName === undefined) throw errors.invalid("The property 'displayName' is required.");
  if (o.displayName !== undefined) doc.displayName = text("displayName", o.displayName, MAX_TITLE, false);
  if (o.isChecked !== undefined) {
    if (typeof o.isChecked !== "boolean") throw errors.invalid("The property 'isChecked' must be true or false.");
    if (o.isChecked && !doc.isChecked) doc.checkedDateTime = now.toISOString();
    if (!o.isChecked) delete doc.checkedDateTime;
    doc.isChecked = o.isChecked;
  }
  return doc;
}

const LINK_WRITABLE = new Set(["webUrl", "applicationName", "displayName", "externalId"]);
const LINK_READ_ONLY = new Set(["id"]);

/** A linkedResource POST or PATCH: four optional strings; `null` clears one on PATCH. */
export function applyLinkedResourceInput(body: unknown, current: Record<string, unknown> | undefined): Record<string, unknown> {
  const o = requireObject(body);
  checkKeys(o, LINK_WRITABLE, LINK_READ_ONLY, "microsoft.graph.linkedResource");
  const doc: Record<string, unknown> = current ? { ...current } : {};
  for (const k of LINK_WRITABLE) {
    if (o[k] === undefined) continue;
    if (o[k] === null) delete doc[k];
    else doc[k] = text(k, o[k], k === "webUrl" ? MAX_URL : MAX_TITLE);
  }
  if (typeof doc.webUrl === "string" && doc.webUrl !== "" && !URL.canParse(doc.webUrl)) throw errors.invalid("The property 'webUrl' must be an absolute URL.");
  return doc;
}

/**
 * An openTypeExtension POST (current undefined: `@odata.type` and `extensionName` required) or
 * PATCH (custom properties replaced as sent, `null` removes one; the name cannot change). Custom
 * values — nested objects and arrays too — are kept exactly as sent.
 */
export function applyExtensionInput(body: unknown, current: Record<string, unknown> | undefined): Record<string, unknown> {
  const o = requireObject(body);
  if (!current && o["@odata.type"] === undefined) throw errors.invalid(`The property '@odata.type' is required: '#${EXTENSION_TYPE}'.`);
  if (o["@odata.type"] !== undefined && o["@odata.type"] !== EXTENSION_TYPE && o["@odata.type"] !== `#${EXTENSION_TYPE}`) {
    throw errors.invalid(`@odata.type must be '#${EXTENSION_TYPE}'.`);
  }
  const doc: Record<string, unknown> = current ? { ...current } : {};
  if (!current) {
    if (typeof o.extensionName !== "string") throw errors.invalid("The property 'extensionName' is required and must be a string.");
    if (!EXTENSION_NAME.test(o.extensionName)) throw errors.invalid("The property 'extensionName' must be 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit.");
    doc.extensionName = o.extensionName;
  } else if (o.extensionName !== undefined && o.extensionName !== current.extensionName) {
    throw errors.invalid("The property 'extensionName' cannot be changed.");
  }
  for (const [k, v] of Object.entries(o)) {
    if (k === "@odata.type" || k === "extensionName") continue;
    if (k === "id") throw errors.invalid("The property 'id' is read-only and cannot be set.");
    if (k.startsWith("@") || k.includes("@")) throw errors.invalid(`The annotation '${k.slice(0, 64)}' cannot be set on an extension.`);
    if (k.length > 128) throw errors.invalid("A custom property's name is longer than 128 characters.");
    // Assigned, it would replace the document's prototype and vanish from the stored JSON (the
    // HTTP body parser refuses it too; a body from $batch or code must not get further).
    if (k === "__proto__") throw errors.invalid("A custom property cannot be named '__proto__'.");
    if (v === null && current) delete doc[k];
    else doc[k] = v;
  }
  if (JSON.stringify(doc).length > MAX_EXTENSION_JSON) throw errors.invalid(`The extension's data is larger than ${MAX_EXTENSION_JSON} characters of JSON.`);
  return doc;
}

/** Validates a child body of `kind` on create. */
export function childInput(kind: ChildKind, body: unknown, now: Date): Record<string, unknown> {
  if (kind === "checklistItem") return applyChecklistInput(body, undefined, now);
  if (kind === "linkedResource") return applyLinkedResourceInput(body, undefined);
  return applyExtensionInput(body, undefined);
}

/**
 * Validates a PATCH body onto the stored child `cur` (its kind's): the body as Graph accepts it
 * (patchBody: annotations and unchanged read-only values dropped), then the kind's own rules.
 */
export function childUpdate(body: unknown, cur: TaskChild, now: Date): Record<string, unknown> {
  const o = patchBody(body, childReadOnly(cur));
  if (cur.kind === "checklistItem") return applyChecklistInput(o, cur.doc, now);
  if (cur.kind === "linkedResource") return applyLinkedResourceInput(o, cur.doc);
  return applyExtensionInput(o, cur.doc);
}

/** The navigation properties a task POST may carry inline, by kind. */
export const INLINE_CHILDREN: ReadonlyArray<[string, ChildKind]> = [
  ["checklistItems", "checklistItem"],
  ["linkedResources", "linkedResource"],
  ["extensions", "extension"],
];

/** Splits a task POST body into the task's own properties and its inline children (validated, in order). */
export function splitInlineChildren(body: unknown, now: Date): { task: unknown; children: Array<{ kind: ChildKind; doc: Record<string, unknown> }> } {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return { task: body, children: [] };
  const task: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  const children: Array<{ kind: ChildKind; doc: Record<string, unknown> }> = [];
  for (const [prop, kind] of INLINE_CHILDREN) {
    const v = task[prop];
    delete task[prop];
    if (v === undefined) continue;
    if (!Array.isArray(v)) throw errors.invalid(`The property '${prop}' must be an array.`);
    if (kind === "linkedResource" && v.length > MAX_INLINE_LINKED_RESOURCES) throw errors.invalidModel("Only one item in linkedResources is allowed.");
    if (v.length > MAX_CHILDREN[kind]) throw errors.invalid(`The property '${prop}' may hold at most ${MAX_CHILDREN[kind]} entries.`);
    const seen = new Set<string>();
    for (const item of v) {
      const doc = childInput(kind, item, now);
      if (kind === "extension") {
        const id = extensionId(doc.extensionName as string);
        if (seen.has(id)) throw errors.invalid(`The extension '${doc.extensionName as string}' is given twice.`);
        seen.add(id);
      }
      children.push({ kind, doc });
    }
  }
  return { task, children };
}

/** A new child record from a validated body (an extension's id is its name's). */
export function newChild(kind: ChildKind, owner: string, p: ChildParent, doc: Record<string, unknown>, now: Date): TaskChild {
  const id = kind === "extension" ? extensionId(doc.extensionName as string) : newId(kind);
  return { kind, id, ownerOid: owner, listId: p.listId, taskId: p.taskId, createdAt: now.toISOString(), doc };
}

