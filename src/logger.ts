import { pino } from "pino";

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

/** The logging the code uses: a message and structured fields. Backed by pino. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

// Tokens and secrets must never reach a log line, even inside an error message or a stack.
const SECRET_PATTERNS: RegExp[] = [
  /xox[abposr]-[A-Za-z0-9-]+/g,
  /xapp-[A-Za-z0-9-]+/g,
  /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])/g,
];

export function redact(text: string): string {
  return SECRET_PATTERNS.reduce((acc, pattern) => acc.replace(pattern, "[redacted]"), text);
}

/** Errors keep their stack (an operator follows a person's reference id to it); strings are redacted. */
function clean(value: unknown, depth = 0): unknown {
  if (value instanceof Error) {
    const cause = (value as { cause?: unknown }).cause;
    return {
      type: value.name,
      message: redact(value.message),
      ...(value.stack ? { stack: redact(value.stack) } : {}),
      ...((value as { code?: unknown }).code !== undefined
        ? { code: (value as { code?: unknown }).code }
        : {}),
      ...(cause !== undefined && depth < 3 ? { cause: clean(cause, depth + 1) } : {}),
    };
  }
  if (typeof value === "string") return redact(value);
  if (Array.isArray(value)) return depth < 5 ? value.map((v) => clean(v, depth + 1)) : value;
  if (value && typeof value === "object" && depth < 5) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clean(v, depth + 1)]));
  }
  return value;
}

export function createLogger(
  level: LogLevel = "info",
  write: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
  const base = pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Known secret-bearing keys are dropped whatever their value looks like.
      redact: {
        paths: [
          "token",
          "*.token",
          "authorization",
          "*.authorization",
          "headers.authorization",
          "signingSecret",
        ],
        censor: "[redacted]",
      },
    },
    { write },
  );
  const emit = (lvl: LogLevel) => (message: string, fields?: LogFields) => {
    base[lvl]((fields ? clean(fields) : {}) as object, redact(message));
  };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}

/** Bolt's own log lines, as JSON through the same logger instead of plain text beside it. */
export function boltLogger(logger: Logger, level: LogLevel) {
  let current = level;
  const say =
    (lvl: LogLevel) =>
    (...msg: unknown[]) =>
      logger[lvl](
        msg
          .map((m) => (typeof m === "string" ? m : m instanceof Error ? m.message : JSON.stringify(m)))
          .join(" "),
        {
          source: "bolt",
          ...(msg.find((m) => m instanceof Error) ? { error: msg.find((m) => m instanceof Error) } : {}),
        },
      );
  return {
    debug: say("debug"),
    info: say("info"),
    warn: say("warn"),
    error: say("error"),
    setLevel: (l: string) => {
      current = l as LogLevel;
    },
    getLevel: () => current,
    setName: () => {},
  };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
