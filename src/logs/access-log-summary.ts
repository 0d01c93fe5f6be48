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
  /** The newest request read, epoch ms (logs arrive minutes late: how late, is said). */
  newestAt: number | undefined;
  linesRead: number;
};

export type Ranked = { value: string; count: number; exact: boolean };

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

  constructor(
    private readonly window: LogWindow,
    filter: LogFilter = {},
  ) {
    this.matches = matcher(filter);
  }

  add(record: AccessLogRecord): void {
    this.linesRead++;
    if (record.at < this.window.fromMs || record.at >= this.window.toMs || !this.matches(record)) return;
    this.requests++;
    this.bytes += record.bytes;
    if (record.result === "Hit" || record.result === "RefreshHit") this.hits++;
    else if (record.result === "Miss") this.misses++;
    const klass = Math.floor(record.status / 100);
    this.statuses[klass >= 2 && klass <= 5 ? (`${klass}xx` as "2xx") : "other"]++;
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
