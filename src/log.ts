// Structured logs: pino, one JSON line per event, each with a stable `event` name.
import { pino, type Logger } from "pino";

export function createLogger(level: string, destination: NodeJS.WritableStream = process.stdout): Logger {
  return pino({ level, base: { service: "taskdrop" }, timestamp: pino.stdTimeFunctions.isoTime }, destination as never);
}
