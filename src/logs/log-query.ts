import { UserError } from "../errors.js";
import { quote } from "../text/plain-text.js";
import type { LogFilter, LogWindow } from "./access-log-summary.js";

/** A window as asked for (`90m`, `6h`) and the span it covers, ending now. */
export type LogQueryWindow = LogWindow & { label: string };

const MINUTE = 60_000;
/** The longest window: a day of a busy distribution's logs is already gigabytes to read. */
export const MAX_LOG_WINDOW_MS = 24 * 60 * MINUTE;
const MIN_LOG_WINDOW_MS = 5 * MINUTE;
export const DEFAULT_LOG_WINDOW = "1h";

/** `30m`, `1h`, `24h`: from 5 minutes to 24 hours, ending now. */
export function parseLogWindow(text: string | undefined, nowMs: number): LogQueryWindow {
  const label = (text ?? DEFAULT_LOG_WINDOW).toLowerCase();
  const match = /^(\d{1,4})(m|h)$/.exec(label);
  const span = match ? Number(match[1]) * (match[2] === "h" ? 60 : 1) * MINUTE : Number.NaN;
  if (!(span >= MIN_LOG_WINDOW_MS && span <= MAX_LOG_WINDOW_MS))
    throw new UserError(
      `${quote(text ?? "")} is not a window I can read logs for: give minutes or hours from 5m to 24h, such as 30m, 1h or 6h.`,
    );
  return { fromMs: nowMs - span, toMs: nowMs, label };
}

const FILTER_FORMS: Record<keyof LogFilter, { pattern: RegExp; expected: string }> = {
  status: { pattern: /^([1-5]xx|[1-5]\d\d)$/i, expected: "a status class or code, such as 5xx or 404" },
  path: {
    pattern: /^\/[^\s*]*\*?$/,
    expected: "a path starting with /, where a * may end a prefix, such as /api/*",
  },
  ip: { pattern: /^[0-9a-f:.]{2,45}$/i, expected: "a client IP address, such as 203.0.113.7" },
  edge: {
    pattern: /^[a-z0-9-]{3,20}$/i,
    expected: "an edge location or its airport code, such as FRA56-P1 or FRA",
  },
};

/** `status=5xx path=/api/* ip=… edge=…`: each at most once; anything else is refused, naming it. */
export function parseLogFilters(words: readonly string[]): LogFilter {
  const filter: LogFilter = {};
  for (const word of words) {
    const match = /^([a-z]+)=(.*)$/i.exec(word);
    const key = match?.[1]?.toLowerCase();
    if (!match || !key || !Object.hasOwn(FILTER_FORMS, key))
      throw new UserError(
        `${quote(word)} is not a filter I know: use status=5xx, path=/api/*, ip=203.0.113.7 or edge=FRA.`,
      );
    const name = key as keyof LogFilter;
    const value = match[2]!;
    if (filter[name] !== undefined) throw new UserError(`${quote(`${name}=`)} is given twice: give it once.`);
    if (!FILTER_FORMS[name].pattern.test(value))
      throw new UserError(`${quote(word)}: ${name} must be ${FILTER_FORMS[name].expected}.`);
    filter[name] = value;
  }
  return filter;
}

/** The filters as they were given, for the message that answers them. */
export function describeFilter(filter: LogFilter): string[] {
  return (Object.keys(FILTER_FORMS) as (keyof LogFilter)[])
    .filter((name) => filter[name] !== undefined)
    .map((name) => `${name}=${filter[name]}`);
}
