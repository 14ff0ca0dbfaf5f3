import { test, describe } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { DEFAULT_CONTENT_TYPE, parseAttachmentInfo, parseSmallFileAttachment } from "../../src/domain/attachment-info.js";
import { GraphError } from "../../src/domain/errors.js";
import { invalidRequestWith as refusedWith } from "../helpers/refused.js";
import { MAX_ATTACHMENT_BYTES, MAX_NAME_LENGTH, SMALL_FILE_LIMIT } from "../../src/domain/limits.js";


/** Only GraphErrors may escape, and only 400/413. */
function outcome<T>(f: () => T): T | GraphError {
  try {
    return f();
  } catch (e) {
    assert.ok(e instanceof GraphError, `non-GraphError: ${String(e)}`);
    assert.ok(e.status === 400 || e.status === 413, `${e.status} ${e.detail}`);
    return e;
  }
}

const info = (fields: Record<string, unknown>) => ({ attachmentInfo: { attachmentType: "file", name: "a.txt", size: 3, ...fields } });
const small = (fields: Record<string, unknown>) => ({ "@odata.type": "#microsoft.graph.taskFileAttachment", name: "a.txt", contentBytes: "YWJj", ...fields });

// Names that each rule must refuse, shared by both routes.
const BAD_NAMES: Array<[unknown, string]> = [
  [undefined, "name is required"],
  [null, "name is required"],
  [42, "name must be a string, not a number"],
  [["a"], "not an array"],
  ["", "must not be empty"],
  ["x".repeat(MAX_NAME_LENGTH + 1), `256 characters long; at most ${MAX_NAME_LENGTH}`],
  ["a\nb", "control characters (U+000A at index 1)"],
  ["\u0000", "U+0000"],
  ["del\u007f", "U+007F"],
  ["c1\u0085", "U+0085"],
  ["tab\t.txt", "U+0009"],
  ["bad\ud800.txt", "unpaired surrogate"],
  ["\udc00", "unpaired surrogate"],
  ["dir/a.txt", "without '/' or '\\'"],
  ["dir\\a.txt", "without '/' or '\\'"],
  ["/", "without '/'"],
  [".", "not \".\""],
  ["..", "not \"..\""],
  ["   ", "only whitespace"],
  ["\u3000", "only whitespace"],
  ["invoice\u202Efdp.exe", "bidirectional override characters (U+202E at index 7)"],
  ["\u202Aa.txt", "U+202A at index 0"],
  ["a\u2066b\u2069.txt", "U+2066 at index 1"],
  ["x\u2069", "U+2069"],
];

describe("parseAttachmentInfo: accepted", () => {
  test("the documented body", () => {
    assert.deepEqual(parseAttachmentInfo({ attachmentInfo: { attachmentType: "file", name: "flower", size: 3483322, contentType: "image/jpeg" } }), {
      name: "flower",
      size: 3483322,
      contentType: "image/jpeg",
    });
  });
  test("contentType defaults to application/octet-stream, also for null", () => {
    assert.equal(parseAttachmentInfo(info({})).contentType, DEFAULT_CONTENT_TYPE);
    assert.equal(parseAttachmentInfo(info({ contentType: null })).contentType, "application/octet-stream");
  });
  test("@odata annotations are ignored, with or without #", () => {
    for (const t of ["microsoft.graph.attachmentInfo", "#microsoft.graph.attachmentInfo", "#anything.else"]) {
      assert.equal(parseAttachmentInfo({ "@odata.type": "x", attachmentInfo: { "@odata.type": t, attachmentType: "file", name: "n", size: 0 } }).size, 0);
    }
    assert.equal(parseAttachmentInfo(info({ "name@odata.type": "String", "@odata.context": "x" })).name, "a.txt");
  });
  test("size 0 and exactly 25 MiB; JSON that spells an integer oddly", () => {
    assert.equal(parseAttachmentInfo(info({ size: 0 })).size, 0);
    assert.ok(Object.is(parseAttachmentInfo(info({ size: -0 })).size, 0));
    assert.equal(parseAttachmentInfo(info({ size: MAX_ATTACHMENT_BYTES })).size, 26_214_400);
    assert.equal(parseAttachmentInfo(JSON.parse('{"attachmentInfo":{"attachmentType":"file","name":"n","size":1e3}}')).size, 1000);
    assert.equal(parseAttachmentInfo(JSON.parse('{"attachmentInfo":{"attachmentType":"file","name":"n","size":5.0}}')).size, 5);
  });
  test("names: Unicode, spaces, 255 code points (510 UTF-16 units)", () => {
    for (const name of ["résumé final.pdf", " leading space", "日本語.txt", "😀".repeat(MAX_NAME_LENGTH), "x".repeat(MAX_NAME_LENGTH), "...", ".hidden"]) {
      assert.equal(parseAttachmentInfo(info({ name })).name, name);
    }
  });
  test("MIME types with parameters", () => {
    for (const ct of [
      "text/plain",
      "text/plain; charset=utf-8",
      "text/plain;charset=UTF-8",
      'multipart/form-data; boundary="a b;c"',
      "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
      "application/ld+json; profile=\"https://example.com/\\\"q\\\"\"",
      "image/svg+xml",
    ]) {
      assert.equal(parseAttachmentInfo(info({ contentType: ct })).contentType, ct);
    }
  });
});

describe("parseAttachmentInfo: refused", () => {
  test("bodies that are not objects", () => {
    for (const body of [null, undefined, [], "x", 3, true]) refusedWith(() => parseAttachmentInfo(body), 400, "must be a JSON object");
  });
  test("missing or non-object attachmentInfo", () => {
    refusedWith(() => parseAttachmentInfo({}), 400, "attachmentInfo is required");
    refusedWith(() => parseAttachmentInfo({ attachmentInfo: null }), 400, "attachmentInfo is required");
    refusedWith(() => parseAttachmentInfo({ attachmentInfo: [] }), 400, "attachmentInfo must be a JSON object, not an array");
    refusedWith(() => parseAttachmentInfo({ attachmentInfo: "file" }), 400, "not the string \"file\"");
  });
  test("unknown properties, at either level, are named", () => {
    refusedWith(() => parseAttachmentInfo({ ...info({}), extra: 1 }), 400, "\"extra\"", "createUploadSession body");
    refusedWith(() => parseAttachmentInfo(info({ contenType: "text/plain" })), 400, "\"contenType\"", "in attachmentInfo");
    refusedWith(() => parseAttachmentInfo(info({ "@microsoft.graph.conflictBehavior": "x" })), 400, "@microsoft.graph.conflictBehavior");
    refusedWith(() => parseAttachmentInfo(JSON.parse('{"attachmentInfo":{"attachmentType":"file","name":"n","size":1,"__proto__":{}}}')), 400, "__proto__");
  });
  test("attachmentType other than file", () => {
    refusedWith(() => parseAttachmentInfo(info({ attachmentType: "item" })), 400, "\"item\" is not supported; only 'file'");
    refusedWith(() => parseAttachmentInfo(info({ attachmentType: "reference" })), 400, "only 'file'");
    refusedWith(() => parseAttachmentInfo(info({ attachmentType: "File" })), 400, "only 'file'");
    refusedWith(() => parseAttachmentInfo(info({ attachmentType: 0 })), 400, "a number is not supported");
    refusedWith(() => parseAttachmentInfo(info({ attachmentType: undefined })), 400, "attachmentType is required");
  });
  for (const [name, fragment] of BAD_NAMES) {
    test(`name ${JSON.stringify(name)?.slice(0, 20)}: ${fragment}`, () => {
      const e = refusedWith(() => parseAttachmentInfo(info({ name })), 400, fragment);
      assert.ok(e.detail.startsWith("attachmentInfo.name"), e.detail);
    });
  }
  test("size: not a number, fraction, negative → 400; over 25 MiB → 413 naming the limit", () => {
    refusedWith(() => parseAttachmentInfo(info({ size: undefined })), 400, "size is required");
    refusedWith(() => parseAttachmentInfo(info({ size: "10" })), 400, "must be a JSON number, not the string \"10\"");
    refusedWith(() => parseAttachmentInfo(info({ size: 1.5 })), 400, "whole number");
    refusedWith(() => parseAttachmentInfo(info({ size: -1 })), 400, "must not be negative");
    refusedWith(() => parseAttachmentInfo(info({ size: -0.5 })), 400, "whole number");
    refusedWith(() => parseAttachmentInfo(info({ size: MAX_ATTACHMENT_BYTES + 1 })), 413, "26214401", "26214400 bytes (25 MiB)");
    refusedWith(() => parseAttachmentInfo(JSON.parse('{"attachmentInfo":{"attachmentType":"file","name":"n","size":1e400}}')), 413, "26214400");
  });
  test("contentType that is not a MIME type", () => {
    for (const ct of ["", "text", "text/", "/plain", "text/plain extra", "text/plain; charset", 'text/plain; a="unterminated', "text /plain", " text/plain", "tëxt/plain", "text/pläin", "a/b/c", "text/plain\r\nX: y"]) {
      refusedWith(() => parseAttachmentInfo(info({ contentType: ct })), 400, "is not a MIME type");
    }
    refusedWith(() => parseAttachmentInfo(info({ contentType: 42 })), 400, "contentType must be a string, not a number");
    refusedWith(() => parseAttachmentInfo(info({ contentType: `text/${"x".repeat(300)}` })), 400, "at most 255");
  });
});

describe("parseAttachmentInfo: properties", () => {
  const goodName = fc
    .string({ unit: "grapheme", minLength: 1, maxLength: 40 })
    .filter((s) => !/[\p{Cc}\p{Cs}/\\]/u.test(s) && s.trim() !== "" && s !== "." && s !== ".." && [...s].length <= MAX_NAME_LENGTH);
  const tok = fc.stringMatching(/^[a-z0-9][a-z0-9.+-]{0,15}$/);
  const mime = fc.tuple(tok, tok, fc.option(fc.tuple(tok, tok))).map(([t, s, p]) => `${t}/${s}${p ? `; ${p[0]}=${p[1]}` : ""}`);

  test("valid bodies come back as given", () => {
    fc.assert(
      fc.property(goodName, fc.integer({ min: 0, max: MAX_ATTACHMENT_BYTES }), fc.option(mime, { nil: undefined }), (name, size, contentType) => {
        const body = { attachmentInfo: { attachmentType: "file", name, size, ...(contentType === undefined ? {} : { contentType }) } };
        assert.deepEqual(parseAttachmentInfo(body), { name, size, contentType: contentType ?? DEFAULT_CONTENT_TYPE });
      }),
    );
  });

  test("arbitrary JSON never throws anything but a 400/413 GraphError", () => {
    const anyField = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.string({ unit: "binary", maxLength: 12 }), fc.double(), fc.constantFrom(undefined, "file", MAX_ATTACHMENT_BYTES + 1));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue({ maxDepth: 3 }),
          fc.record({ attachmentType: anyField, name: anyField, size: anyField, contentType: anyField }, { requiredKeys: [] }).map((attachmentInfo) => ({ attachmentInfo })),
          fc.dictionary(fc.string({ maxLength: 8 }), anyField).map((attachmentInfo) => ({ attachmentInfo })),
        ),
        (body) => {
          const r = outcome(() => parseAttachmentInfo(body));
          if (!(r instanceof GraphError)) {
            assert.ok(Number.isSafeInteger(r.size) && r.size >= 0 && r.size <= MAX_ATTACHMENT_BYTES);
            assert.ok(r.name.length > 0 && typeof r.contentType === "string");
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("parseSmallFileAttachment", () => {
  test("the documented body", () => {
    const r = parseSmallFileAttachment({ "@odata.type": "#microsoft.graph.taskFileAttachment", name: "smile", contentBytes: "R0lGODdh", contentType: "image/gif" });
    assert.equal(r.name, "smile");
    assert.equal(r.contentType, "image/gif");
    assert.deepEqual(r.bytes, Buffer.from("GIF87a"));
  });
  test("@odata.type is optional, with or without #; contentType defaults", () => {
    assert.equal(parseSmallFileAttachment({ name: "a", contentBytes: "" }).contentType, DEFAULT_CONTENT_TYPE);
    assert.equal(parseSmallFileAttachment(small({ "@odata.type": "microsoft.graph.taskFileAttachment" })).name, "a.txt");
  });
  test("an empty file is allowed", () => {
    assert.equal(parseSmallFileAttachment(small({ contentBytes: "" })).bytes.length, 0);
  });
  test("size, when given, must match the decoded bytes", () => {
    assert.equal(parseSmallFileAttachment(small({ size: 3 })).bytes.length, 3);
    refusedWith(() => parseSmallFileAttachment(small({ size: 4 })), 400, "size 4 does not match the 3 bytes");
    refusedWith(() => parseSmallFileAttachment(small({ size: "3" })), 400, "the string \"3\" does not match");
  });
  test("another @odata.type, unknown properties, and the name rules", () => {
    refusedWith(() => parseSmallFileAttachment(small({ "@odata.type": "#microsoft.graph.fileAttachment" })), 400, "only '#microsoft.graph.taskFileAttachment'");
    refusedWith(() => parseSmallFileAttachment(small({ "@odata.type": 7 })), 400, "a number is not supported");
    refusedWith(() => parseSmallFileAttachment(small({ id: "x" })), 400, "\"id\" is not supported in taskFileAttachment");
    refusedWith(() => parseSmallFileAttachment("x"), 400, "must be a JSON taskFileAttachment object");
    for (const [name, fragment] of BAD_NAMES) {
      const e = refusedWith(() => parseSmallFileAttachment(small({ name })), 400, fragment);
      assert.ok(e.detail.startsWith("taskFileAttachment.name"), e.detail);
    }
    refusedWith(() => parseSmallFileAttachment(small({ contentType: "nope" })), 400, "is not a MIME type");
  });
  test("strict base64", () => {
    const cases: Array<[unknown, string]> = [
      [undefined, "contentBytes is required"],
      [null, "contentBytes is required"],
      [[1, 2], "must be a base64 string, not an array"],
      ["YWJ", "length 3 is not a multiple of 4"],
      ["YQ", "length 2 is not a multiple of 4"],
      ["YQ=", "not a multiple of 4"],
      ["Y===", "'=' padding may only appear at the end, at most twice"],
      ["YQ==YQ==", "'=' padding may only appear at the end"],
      ["=YWJ", "'=' padding may only appear at the end"],
      ["YR==", "non-zero unused bits"],
      ["YWK=", "non-zero unused bits"],
      ["YW Jj", "character \" \" at index 2 (whitespace"],
      ["YWJj\n", "(whitespace and line breaks are not allowed)"],
      ["a-_b", "base64url is not accepted"],
      ["YWJ!", "character \"!\" at index 3"],
      ["YWJé", "character \"é\""],
    ];
    for (const [contentBytes, fragment] of cases) refusedWith(() => parseSmallFileAttachment(small({ contentBytes })), 400, fragment);
  });
  test("decoded size: just under 3 MiB is accepted, 3 MiB is 413 naming the limit", () => {
    assert.equal(parseSmallFileAttachment(small({ contentBytes: Buffer.alloc(SMALL_FILE_LIMIT - 1, 7).toString("base64") })).bytes.length, 3_145_727);
    refusedWith(
      () => parseSmallFileAttachment(small({ contentBytes: Buffer.alloc(SMALL_FILE_LIMIT).toString("base64") })),
      413,
      "decodes to 3145728 bytes",
      "less than 3145728 bytes (3 MiB)",
      "createUploadSession",
    );
  });
  test("property: every byte string round-trips through its base64", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (u8) => {
        const bytes = Buffer.from(u8);
        assert.deepEqual(parseSmallFileAttachment(small({ contentBytes: bytes.toString("base64") })).bytes, bytes);
      }),
    );
  });
  test("property: a string is accepted only if it is the canonical base64 of its bytes", () => {
    const b64ish = fc.oneof(
      fc.string({ unit: fc.constantFrom(..."ABCDQRSTYZabcdwxyz0189+/=-_ \n"), maxLength: 16 }),
      fc.string({ unit: "binary", maxLength: 16 }),
    );
    fc.assert(
      fc.property(b64ish, (contentBytes) => {
        const r = outcome(() => parseSmallFileAttachment(small({ contentBytes })));
        const canonical = Buffer.from(contentBytes, "base64").toString("base64") === contentBytes;
        if (r instanceof GraphError) assert.ok(!canonical, `refused canonical ${JSON.stringify(contentBytes)}: ${r.detail}`);
        else assert.ok(canonical, `accepted non-canonical ${JSON.stringify(contentBytes)}`);
      }),
      { numRuns: 2000 },
    );
  });
  test("property: arbitrary JSON never throws anything but a 400/413 GraphError", () => {
    const anyField = fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.string({ unit: "binary", maxLength: 12 }), fc.constantFrom(undefined, "YWJj", "#microsoft.graph.taskFileAttachment"));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue({ maxDepth: 3 }),
          fc.record({ "@odata.type": anyField, name: anyField, contentBytes: anyField, contentType: anyField, size: anyField }, { requiredKeys: [] }),
        ),
        (body) => {
          outcome(() => parseSmallFileAttachment(body));
        },
      ),
      { numRuns: 500 },
    );
  });
});
