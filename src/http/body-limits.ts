// Bounds on request bodies, whoever sends them. Routes authorise before any body is read (the route
// groups' onRequest hooks), so what is bounded here is what a caller may still make the server hold:
// - a JSON body being buffered for its parser: it may not stall longer than --body-idle-timeout, and
//   all such bodies together may not hold more than --max-buffered-bodies bytes (each is also capped
//   by the JSON body limit, and a connection carries one request at a time);
// - a body left unread or part-read after its answer (a 401 before the body, a refused range): Node
//   reads and discards it to reuse the connection; if it stalls, the connection is dropped instead;
// - every request, headers and body, must arrive in full within --body-timeout (Node's
//   requestTimeout, answered 408 in app.ts), which bounds total time for uploads as well.
// Upload ranges are streamed, not buffered; their idle bound is the body guard's (services/body-guard.ts).
import type { IncomingMessage } from "node:http";
import { Transform, type TransformCallback } from "node:stream";
import type { FastifyInstance } from "fastify";
import { GraphError, errors } from "../domain/errors.js";

export interface BodyLimits {
  idleMs: number;
  maxBufferedBytes: number;
}

/** Bytes of buffered bodies held right now, over every connection of one app. */
class Budget {
  held = 0;
  constructor(readonly max: number) {}
  take(n: number): boolean {
    if (this.held + n > this.max) return false;
    this.held += n;
    return true;
  }
  give(n: number): void {
    this.held -= n;
  }
}

/** Passes a body to its parser, counting it against the budget and failing it when it stalls. */
class BoundedBody extends Transform {
  private held = 0;
  private readonly timer: NodeJS.Timeout;
  constructor(
    private readonly budget: Budget,
    idleMs: number,
    onRefused: () => void,
  ) {
    super();
    this.timer = setTimeout(() => {
      onRefused();
      this.destroy(errors.invalid(`The request body stalled for more than ${idleMs} ms; nothing was done.`));
    }, idleMs);
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.timer.refresh();
    if (!this.budget.take(chunk.length)) {
      clearTimeout(this.timer);
      return cb(new GraphError("unavailable", "The server holds as many request bodies as it may; try again shortly.", { "retry-after": "5" }));
    }
    this.held += chunk.length;
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    clearTimeout(this.timer);
    cb();
  }
  /** The request is over (answered or abandoned): its bytes no longer count. */
  release(): void {
    clearTimeout(this.timer);
    this.budget.give(this.held);
    this.held = 0;
  }
}

/** Drops the connection when the rest of an answered request's body stops arriving. */
function dropWhenIdle(req: IncomingMessage, idleMs: number): void {
  const socket = req.socket;
  let last = socket.bytesRead;
  const timer = setInterval(() => {
    if (req.complete || socket.destroyed) return clearInterval(timer);
    if (socket.bytesRead === last) {
      clearInterval(timer);
      socket.destroy();
    }
    last = socket.bytesRead;
  }, idleMs);
  timer.unref();
  // The socket outlives the request (keep-alive): its listener goes with the request, or each
  // request answered early would leave one on the socket (MaxListenersExceededWarning after ten).
  const stop = () => {
    clearInterval(timer);
    socket.removeListener("close", stop);
  };
  req.once("end", stop);
  socket.once("close", stop);
}

export function boundBodies(app: FastifyInstance, limits: BodyLimits): void {
  const budget = new Budget(limits.maxBufferedBytes);
  app.addHook("preParsing", async (req, reply, payload) => {
    // Only bodies a parser will buffer: the uploadUrl streams its bytes itself, and other media types are never read.
    if (req.routeOptions.config.streamsBody) return payload;
    const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
    if (type !== "application/json") return payload;
    const bounded = new BoundedBody(budget, limits.idleMs, () => reply.header("connection", "close"));
    reply.raw.once("close", () => bounded.release());
    bounded.once("error", () => reply.header("connection", "close"));
    return payload.pipe(bounded);
  });
  app.addHook("onResponse", async (req) => {
    if (req.raw.complete || req.raw.destroyed) return;
    // Answered before its body was all read: discard the rest (as Node does for an unread body), but
    // only while it keeps coming.
    req.raw.unpipe();
    req.raw.resume();
    dropWhenIdle(req.raw, limits.idleMs);
  });
}
