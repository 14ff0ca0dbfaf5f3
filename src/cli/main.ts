#!/usr/bin/env node
// Entry point. Every range's write and fdatasync runs on libuv's thread pool, whose default of 4
// threads leaves dozens of concurrent uploads queueing behind each other's fsyncs; the pool is sized
// when first used, so this must happen before anything else is loaded.
process.env.UV_THREADPOOL_SIZE ??= "16";
await import("./program.js");
