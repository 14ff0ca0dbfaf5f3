// Where the server's log lines go: stdout, as JSON (for machines and log shippers) or, for a person
// at a terminal, as coloured lines through pino-pretty, one line per request.
import type { LogFormat } from "../config.js";

interface LogRecord {
  event?: string;
  method?: string;
  url?: string;
  status?: number;
  ms?: number;
  [k: string]: unknown;
}
type Colors = Record<"red" | "yellow" | "green" | "cyan" | "gray" | "bold", (s: string) => string>;

/** One readable line per request: "GET /v1.0/me/todo/lists 200 3 ms", the status coloured by class. */
function messageFormat(log: LogRecord, messageKey: string, _level: string, extra: { colors: Colors }): string {
  const c = extra.colors;
  if (log.event === "request" && typeof log.status === "number") {
    const paint = log.status >= 500 ? c.red : log.status >= 400 ? c.yellow : c.green;
    return `${c.bold(String(log.method))} ${log.url} ${paint(String(log.status))} ${c.gray(`${log.ms} ms`)}`;
  }
  return String(log[messageKey] ?? "");
}

/** The stream to hand to createLogger(); JSON on stdout unless the format (or a terminal) says pretty. */
export async function logDestination(format: LogFormat, out: NodeJS.WriteStream = process.stdout): Promise<NodeJS.WritableStream> {
  const pretty = format === "pretty" || (format === "auto" && out.isTTY === true);
  if (!pretty) return out;
  const { default: build } = await import("pino-pretty");
  return build({
    destination: out,
    colorize: out.isTTY === true,
    translateTime: "SYS:HH:MM:ss.l",
    ignore: "pid,hostname,service,event,method,url,status,ms,requestId,reqId",
    messageFormat: messageFormat as never,
    sync: true,
  });
}
