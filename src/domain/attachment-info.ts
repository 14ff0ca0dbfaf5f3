// Validation of the two JSON bodies that create attachments: the createUploadSession request
// (`{"attachmentInfo": {...}}`) and the small-file POST (a taskFileAttachment with base64 bytes).
// Input is whatever JSON.parse produced; output is plain validated values or a GraphError.
//
// Decisions (beyond what Graph documents):
// - OData annotations (`@odata.type`, `prop@odata.x`) are ignored; any other unknown property is a 400,
//   so a typo (`contenType`) is not silently dropped.
// - Names are file names, not paths: no `/` or `\`, not `.` or `..`, no control characters, not
//   blank, well-formed Unicode, at most MAX_NAME_LENGTH code points.
// - No bidirectional embedding, override or isolate characters (U+202A–U+202E, U+2066–U+2069):
//   "invoice\u202Efdp.exe" shows as "invoiceexe.pdf" in every UI that lists it. Graph stores any
//   string; Taskdrop refuses these (right-to-left names need none of them: the marks U+200E,
//   U+200F and U+061C stay allowed).
// - contentType must be a MIME type `type/subtype` with optional parameters (RFC 9110 grammar,
//   ASCII only, since it is sent back as a response header); `null` counts as absent.
// - The small-file body's `@odata.type`, when present, must name taskFileAttachment; `size`, when
//   present, must equal the decoded length (Graph's model has it; SDK objects may carry it).

import { errors } from "./errors.js";
import { MAX_ATTACHMENT_BYTES, MAX_CONTENT_TYPE_LENGTH, MAX_NAME_LENGTH, SMALL_FILE_LIMIT, describeBytes } from "./limits.js";

export const DEFAULT_CONTENT_TYPE = "application/octet-stream";

export interface AttachmentInfo {
  name: string;
  size: number;
  contentType: string;
}

export interface SmallFileAttachment {
  name: string;
  contentType: string;
  bytes: Buffer;
}

type JsonObject = Record<string, unknown>;

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `@odata.type` or a property annotation such as `name@odata.type`. */
function isODataAnnotation(key: string): boolean {
  return /^[A-Za-z0-9_]*@odata\./.test(key);
}

function quote(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
}

function describeJson(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return `the string ${quote(v)}`;
  return `a ${typeof v}`;
}

function get(o: JsonObject, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

function refuseUnknown(o: JsonObject, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key) && !isODataAnnotation(key)) {
      throw errors.invalid(`Property ${quote(key)} is not supported in ${where}; expected ${allowed.join(", ")}.`);
    }
  }
}

/** Bidirectional embeddings, overrides and isolates ("Trojan Source" characters). */
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/;

/** The name with every bidirectional override removed (for names stored before they were refused). */
export function withoutBidiControls(name: string): string {
  return name.replace(new RegExp(BIDI_CONTROL.source, "g"), "");
}

/** Validate an attachment's file name (both creation routes share the rules). */
export function validateName(value: unknown, where: string): string {
  if (value === undefined || value === null) throw errors.invalid(`${where}.name is required.`);
  if (typeof value !== "string") throw errors.invalid(`${where}.name must be a string, not ${describeJson(value)}.`);
  if (value.length === 0) throw errors.invalid(`${where}.name must not be empty.`);
  const codePoints = [...value].length;
  if (codePoints > MAX_NAME_LENGTH) {
    throw errors.invalid(`${where}.name is ${codePoints} characters long; at most ${MAX_NAME_LENGTH} are allowed.`);
  }
  const control = /\p{Cc}/u.exec(value);
  if (control) {
    const hex = control[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
    throw errors.invalid(`${where}.name must not contain control characters (U+${hex} at index ${control.index}).`);
  }
  const bidi = BIDI_CONTROL.exec(value);
  if (bidi) {
    const hex = bidi[0].codePointAt(0)!.toString(16).toUpperCase();
    throw errors.invalid(`${where}.name must not contain bidirectional override characters (U+${hex} at index ${bidi.index}): they disguise a file's real name.`);
  }
  // With the u flag a proper surrogate pair is one code point, so this finds only lone halves.
  if (/\p{Cs}/u.test(value)) throw errors.invalid(`${where}.name is not well-formed Unicode (it has an unpaired surrogate).`);
  if (/[/\\]/.test(value)) throw errors.invalid(`${where}.name must be a file name without '/' or '\\', got ${quote(value)}.`);
  if (value === "." || value === "..") throw errors.invalid(`${where}.name must be a file name, not ${quote(value)}.`);
  if (value.trim().length === 0) throw errors.invalid(`${where}.name must not be only whitespace.`);
  return value;
}

// RFC 9110 §8.3.1 media-type = type "/" subtype parameters, with token and quoted-string from §5.6.
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const QUOTED = '"(?:[\\t \\x21\\x23-\\x5B\\x5D-\\x7E]|\\\\[\\t \\x21-\\x7E])*"';
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}(?:[ \\t]*;[ \\t]*(?:${TOKEN}=(?:${TOKEN}|${QUOTED}))?)*$`);

/** Validate an optional contentType; absent or null gives application/octet-stream (Graph does not guess). */
export function validateContentType(value: unknown, where: string): string {
  if (value === undefined || value === null) return DEFAULT_CONTENT_TYPE;
  if (typeof value !== "string") throw errors.invalid(`${where}.contentType must be a string, not ${describeJson(value)}.`);
  if (value.length > MAX_CONTENT_TYPE_LENGTH) {
    throw errors.invalid(`${where}.contentType is ${value.length} characters long; at most ${MAX_CONTENT_TYPE_LENGTH} are allowed.`);
  }
  if (!MEDIA_TYPE.test(value)) {
    throw errors.invalid(`${where}.contentType ${quote(value)} is not a MIME type; expected 'type/subtype' with optional '; name=value' parameters.`);
  }
  return value;
}

const ATTACHMENT_INFO_PROPS = ["attachmentType", "name", "size", "contentType"] as const;

/** The createUploadSession body. */
export function parseAttachmentInfo(body: unknown): AttachmentInfo {
  if (!isObject(body)) throw errors.invalid(`The request body must be a JSON object with an attachmentInfo property, not ${describeJson(body)}.`);
  refuseUnknown(body, ["attachmentInfo"], "the createUploadSession body");
  const info = get(body, "attachmentInfo");
  if (info === undefined || info === null) throw errors.invalid("attachmentInfo is required.");
  if (!isObject(info)) throw errors.invalid(`attachmentInfo must be a JSON object, not ${describeJson(info)}.`);
  refuseUnknown(info, ATTACHMENT_INFO_PROPS, "attachmentInfo");

  const type = get(info, "attachmentType");
  if (type === undefined || type === null) throw errors.invalid("attachmentInfo.attachmentType is required and must be 'file'.");
  if (type !== "file") {
    const shown = typeof type === "string" ? quote(type) : describeJson(type);
    throw errors.invalid(`attachmentInfo.attachmentType ${shown} is not supported; only 'file' is.`);
  }

  const name = validateName(get(info, "name"), "attachmentInfo");

  const size = get(info, "size");
  if (size === undefined || size === null) throw errors.invalid("attachmentInfo.size is required.");
  if (typeof size !== "number") throw errors.invalid(`attachmentInfo.size must be a JSON number, not ${describeJson(size)}.`);
  // Over the limit is 413 even for a fraction or an overflowed 1e400 (Infinity): the client needs to hear the limit.
  if (size > MAX_ATTACHMENT_BYTES) {
    throw errors.tooLarge(
      `attachmentInfo.size ${size} is over the maximum attachment size of ${describeBytes(MAX_ATTACHMENT_BYTES)}.`,
    );
  }
  if (!Number.isInteger(size)) throw errors.invalid(`attachmentInfo.size ${size} must be a whole number of bytes.`);
  if (size < 0) throw errors.invalid(`attachmentInfo.size ${size} must not be negative.`);

  const contentType = validateContentType(get(info, "contentType"), "attachmentInfo");
  return { name, size: size === 0 ? 0 : size /* no -0 */, contentType };
}

const BASE64_ALPHABET = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64_VALUE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/**
 * Strict standard base64 (RFC 4648 §4): alphabet A-Z a-z 0-9 + /, padded to a multiple of 4,
 * no whitespace, and canonical (the unused low bits of the last character are zero), so every
 * byte string has exactly one accepted encoding. Returns the decoded length, or throws a 400.
 */
function checkBase64(s: string, where: string): number {
  if (!BASE64_ALPHABET.test(s)) {
    const i = s.search(/[^A-Za-z0-9+/=]/);
    if (i >= 0) {
      const c = s[i]!;
      const hint = c === "-" || c === "_" ? " (base64url is not accepted; use standard base64 with '+' and '/')"
        : /\s/.test(c) ? " (whitespace and line breaks are not allowed)" : "";
      throw errors.invalid(`${where}.contentBytes is not valid base64: character ${JSON.stringify(c)} at index ${i}${hint}.`);
    }
    throw errors.invalid(`${where}.contentBytes is not valid base64: '=' padding may only appear at the end, at most twice.`);
  }
  if (s.length % 4 !== 0) {
    throw errors.invalid(`${where}.contentBytes is not valid base64: its length ${s.length} is not a multiple of 4 (padding missing or wrong).`);
  }
  const pad = s.endsWith("==") ? 2 : s.endsWith("=") ? 1 : 0;
  if (pad > 0) {
    const last = BASE64_VALUE.indexOf(s[s.length - pad - 1]!);
    const unusedBits = pad === 2 ? 0b1111 : 0b11;
    if ((last & unusedBits) !== 0) {
      throw errors.invalid(`${where}.contentBytes is not valid base64: the last character before the padding has non-zero unused bits (not canonical).`);
    }
  }
  return (s.length / 4) * 3 - pad;
}

const SMALL_FILE_PROPS = ["name", "contentBytes", "contentType", "size"] as const;

/** The small-file POST body (a taskFileAttachment with base64 contentBytes). */
export function parseSmallFileAttachment(body: unknown): SmallFileAttachment {
  const where = "taskFileAttachment";
  if (!isObject(body)) throw errors.invalid(`The request body must be a JSON taskFileAttachment object, not ${describeJson(body)}.`);
  refuseUnknown(body, SMALL_FILE_PROPS, where);
  const odataType = get(body, "@odata.type");
  if (odataType !== undefined && (typeof odataType !== "string" || !/^#?microsoft\.graph\.taskFileAttachment$/i.test(odataType))) {
    const shown = typeof odataType === "string" ? quote(odataType) : describeJson(odataType);
    throw errors.invalid(`@odata.type ${shown} is not supported here; only '#microsoft.graph.taskFileAttachment' is.`);
  }

  const name = validateName(get(body, "name"), where);

  const content = get(body, "contentBytes");
  if (content === undefined || content === null) throw errors.invalid(`${where}.contentBytes is required (base64; empty for an empty file).`);
  if (typeof content !== "string") throw errors.invalid(`${where}.contentBytes must be a base64 string, not ${describeJson(content)}.`);
  const decodedLength = checkBase64(content, where);
  if (decodedLength >= SMALL_FILE_LIMIT) {
    throw errors.tooLarge(
      `${where}.contentBytes decodes to ${decodedLength} bytes; this route accepts less than ${describeBytes(SMALL_FILE_LIMIT)}. ` +
        `Use attachments/createUploadSession for larger files.`,
    );
  }

  const size = get(body, "size");
  if (size !== undefined && size !== null && size !== decodedLength) {
    throw errors.invalid(`${where}.size ${typeof size === "number" ? size : describeJson(size)} does not match the ${decodedLength} bytes in contentBytes.`);
  }

  const contentType = validateContentType(get(body, "contentType"), where);
  return { name, contentType, bytes: Buffer.from(content, "base64") };
}
