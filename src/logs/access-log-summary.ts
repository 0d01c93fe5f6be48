import type { AccessLogRecord } from "./access-log-lines.js";
import { TopCounter } from "./top-counter.js";

/** What `/cdn logs` narrows a window to: a status class or code, a path (a `*` ends a prefix), a client, an edge. */
export type LogFilter = { status?: string; path?: string; ip?: string; edge?: string };

export type LogWindow = { fromMs: number; toMs: number };

/** A window's requests in numbers: totals, the status mix, and the largest of each kind. */
export type AccessLogSummary = {
  requests: number;
  bytes: number;
  /** Hits (and RefreshHits) over hits and misses, 0–1; undefined with neither. */
  cacheHitRatio: number | undefined;
  statuses: Record<"2xx" | "3xx" | "4xx" | "5xx" | "other", number>;
  topPaths: Ranked[];
  topClientIps: Ranked[];
  topEdges: Ranked[];
  topUserAgents: Ranked[];
  /** Paths by their mean time-taken (seconds), among those asked for at least `minSlowCount` times. */
  slowestPaths: { value: string; count: number; meanSeconds: number }[];
  /** Requests over the window by status class, in TIMELINE_BUCKETS equal buckets (the chart's bars). */
  timeline: Timeline;
  /** A random sample of the matching lines as written, when one was asked for. */
  sample?: string[];
  /** The newest request read, epoch ms (logs arrive minutes late: how late, is said). */
  newestAt: number | undefined;
  linesRead: number;
};

export type Ranked = { value: string; count: number; exact: boolean };

export type StatusClass = "2xx" | "3xx" | "4xx" | "5xx" | "other";

/** Requests by status class in buckets of `bucketMs` from `fromMs`. */
export type Timeline = { fromMs: number; bucketMs: number; counts: Record<StatusClass, number[]> };

/** A window is drawn in this many bars. */
export const TIMELINE_BUCKETS = 60;

/** An empty timeline for a window: buckets of whole minutes, enough of them to cover it. */
export function emptyTimeline(window: LogWindow): Timeline {
  const bucketMs = Math.max(1, Math.ceil((window.toMs - window.fromMs) / TIMELINE_BUCKETS / 60_000)) * 60_000;
  const length = Math.ceil((window.toMs - window.fromMs) / bucketMs);
  const zeros = () => Array<number>(length).fill(0);
  return {
    fromMs: window.fromMs,
    bucketMs,
    counts: { "2xx": zeros(), "3xx": zeros(), "4xx": zeros(), "5xx": zeros(), other: zeros() },
  };
}

/** The class of a status code: 2xx … 5xx, or other. */
export function statusClassOf(status: number): StatusClass {
  const klass = Math.floor(status / 100);
  return klass >= 2 && klass <= 5 ? (`${klass}xx` as StatusClass) : "other";
}

const TOP = 10;
/** A path needs this many requests in the window to be ranked among the slowest (one slow request is noise). */
const MIN_SLOW_COUNT = 5;

/** Sums a window's records as they stream by, in bounded memory (`TopCounter`). */
export class AccessLogSummarizer {
  private requests = 0;
  private bytes = 0;
  private hits = 0;
  private misses = 0;
  private newestAt: number | undefined;
  private linesRead = 0;
  private readonly statuses = { "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0, other: 0 };
  private readonly paths = new TopCounter();
  private readonly ips = new TopCounter();
  private readonly edges = new TopCounter(200);
  private readonly agents = new TopCounter();
  private readonly matches: (r: AccessLogRecord) => boolean;
  private readonly timeline: Timeline;

  constructor(
    private readonly window: LogWindow,
    filter: LogFilter = {},
    /** How many raw lines to keep a sample of (0: none; they hold personal data). */
    private readonly sampleSize = 0,
  ) {
    this.matches = matcher(filter);
    this.timeline = emptyTimeline(window);
  }

  /** A sample of the matching lines as written, kept only when asked for (`sampleSize`). */
  private readonly sample: string[] = [];

  add(record: AccessLogRecord, line?: string): void {
    this.linesRead++;
    if (record.at < this.window.fromMs || record.at >= this.window.toMs || !this.matches(record)) return;
    this.requests++;
    if (line !== undefined && this.sampleSize > 0) {
      // A reservoir: every matching line has the same chance to be in it, in bounded memory.
      if (this.sample.length < this.sampleSize) this.sample.push(line);
      else {
        const at = Math.floor(Math.random() * this.requests);
        if (at < this.sampleSize) this.sample[at] = line;
      }
    }
    this.bytes += record.bytes;
    if (record.result === "Hit" || record.result === "RefreshHit") this.hits++;
    else if (record.result === "Miss") this.misses++;
    const klass = statusClassOf(record.status);
    this.statuses[klass]++;
    const bar = this.timeline.counts[klass];
    bar[Math.floor((record.at - this.timeline.fromMs) / this.timeline.bucketMs)]!++;
    this.paths.add(record.path, 1, record.timeTaken);
    this.ips.add(record.clientIp);
    this.edges.add(record.edge);
    this.agents.add(record.userAgent);
    if (this.newestAt === undefined || record.at > this.newestAt) this.newestAt = record.at;
  }

  summary(): AccessLogSummary {
    const seen = this.hits + this.misses;
    return {
      requests: this.requests,
      bytes: this.bytes,
      cacheHitRatio: seen > 0 ? this.hits / seen : undefined,
      statuses: { ...this.statuses },
      topPaths: this.paths.top(TOP),
      topClientIps: this.ips.top(TOP),
      topEdges: this.edges.top(TOP),
      topUserAgents: this.agents.top(TOP),
      // Time per path for the paths held among the most asked for (bounded like them).
      slowestPaths: this.paths
        .measured(MIN_SLOW_COUNT)
        .map(({ value, count, mean }) => ({ value, count, meanSeconds: mean }))
        .sort((a, b) => b.meanSeconds - a.meanSeconds || a.value.localeCompare(b.value))
        .slice(0, TOP),
      timeline: {
        ...this.timeline,
        counts: Object.fromEntries(
          Object.entries(this.timeline.counts).map(([k, v]) => [k, [...v]]),
        ) as Timeline["counts"],
      },
      ...(this.sampleSize > 0 ? { sample: [...this.sample] } : {}),
      newestAt: this.newestAt,
      linesRead: this.linesRead,
    };
  }
}

function matcher(filter: LogFilter): (r: AccessLogRecord) => boolean {
  const status = filter.status?.toLowerCase();
  const path = filter.path;
  return (r) =>
    (!status ||
      (/^[1-5]xx$/.test(status)
        ? Math.floor(r.status / 100) === Number(status[0])
        : String(r.status) === status)) &&
    (!path || (path.endsWith("*") ? r.path.startsWith(path.slice(0, -1)) : r.path === path)) &&
    (!filter.ip || r.clientIp === filter.ip) &&
    (!filter.edge || r.edge.toUpperCase().startsWith(filter.edge.toUpperCase()));
}
