import {
  type AccessLogSummary,
  emptyTimeline,
  type LogFilter,
  type LogWindow,
  type Ranked,
  statusClassOf,
} from "./access-log-summary.js";

/**
 * A window's access logs summed up where a logging v2 delivery writes them to CloudWatch Logs: by
 * Logs Insights queries in the log group, one per figure (CloudWatch sums; only the results
 * travel). The fields are CloudFront's own names (a JSON delivery's keys), in backticks as Insights
 * wants names with `-` and `()`.
 */

/** One row of an Insights result: its fields by name. */
export type InsightsRow = Record<string, string>;

const TOP = 10;
const MIN_SLOW_COUNT = 5;

/** The figures, each one query. */
export type InsightsFigure =
  | "statuses"
  | "results"
  | "paths"
  | "clients"
  | "edges"
  | "agents"
  | "slowest"
  | "timeline";

/** A string literal in a query: what a person typed can end it only escaped. */
function literal(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** A regex body in a query (`/…/`), every character of the person's text matched as itself. */
function regexBody(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
}

/** The filter clauses of a query (every query has them: the figures are all of the same requests). */
export function insightsFilter(filter: LogFilter): string[] {
  const clauses: string[] = [];
  const status = filter.status?.toLowerCase();
  if (status) {
    if (/^[1-5]xx$/.test(status)) {
      const low = Number(status[0]) * 100;
      clauses.push(`filter \`sc-status\` >= ${low} and \`sc-status\` <= ${low + 99}`);
    } else clauses.push(`filter \`sc-status\` = ${Number(status)}`);
  }
  if (filter.path)
    clauses.push(
      filter.path.endsWith("*")
        ? `filter \`cs-uri-stem\` like /^${regexBody(filter.path.slice(0, -1))}/`
        : `filter \`cs-uri-stem\` = ${literal(filter.path)}`,
    );
  if (filter.ip) clauses.push(`filter \`c-ip\` = ${literal(filter.ip)}`);
  if (filter.edge) clauses.push(`filter \`x-edge-location\` like /(?i)^${regexBody(filter.edge)}/`);
  return clauses;
}

const TOP_FIELD: Record<"paths" | "clients" | "edges" | "agents", string> = {
  paths: "`cs-uri-stem`",
  clients: "`c-ip`",
  edges: "`x-edge-location`",
  agents: "`cs(User-Agent)`",
};

/** The queries of a summary, by figure. */
export function insightsQueries(filter: LogFilter, window: LogWindow): Record<InsightsFigure, string> {
  const minutes = emptyTimeline(window).bucketMs / 60_000;
  const head = insightsFilter(filter);
  const query = (...parts: string[]) => [...head, ...parts].join(" | ");
  const top = (field: string) =>
    query(`stats count(*) as requests by ${field}`, "sort requests desc", `limit ${TOP}`);
  return {
    statuses: query(
      "fields floor(`sc-status` / 100) as klass",
      "stats count(*) as requests, sum(`sc-bytes`) as bytes by klass",
    ),
    results: query("stats count(*) as requests by `x-edge-result-type`"),
    paths: top(TOP_FIELD.paths),
    clients: top(TOP_FIELD.clients),
    edges: top(TOP_FIELD.edges),
    agents: top(TOP_FIELD.agents),
    timeline: query(
      "fields floor(`sc-status` / 100) as klass",
      `stats count(*) as requests by bin(${minutes}m), klass`,
    ),
    slowest: query(
      "stats count(*) as requests, avg(`time-taken`) as mean by `cs-uri-stem`",
      `filter requests >= ${MIN_SLOW_COUNT}`,
      "sort mean desc",
      `limit ${TOP}`,
    ),
  };
}

const count = (row: InsightsRow, field = "requests") => Number(row[field]) || 0;

function ranked(rows: readonly InsightsRow[], field: string): Ranked[] {
  // Insights counts exactly: no bounded counter stands between the logs and these numbers.
  return rows
    .map((row) => ({ value: row[field.replace(/`/g, "")] ?? "-", count: count(row), exact: true }))
    .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value))
    .slice(0, TOP);
}

/** The queries' rows as the same summary the S3 path makes. */
export function summaryFromInsights(
  rows: Record<InsightsFigure, InsightsRow[]>,
  recordsScanned: number,
  window: LogWindow,
): AccessLogSummary {
  const timeline = emptyTimeline(window);
  const binField = `bin(${timeline.bucketMs / 60_000}m)`;
  for (const row of rows.timeline) {
    // Insights writes a bin's start as `2026-12-07 13:05:00.000`, in UTC.
    const at = Date.parse(`${(row[binField] ?? "").replace(" ", "T")}Z`);
    // Its bins start on the clock, the window's buckets wherever it began: the nearest one takes it.
    const counts = timeline.counts[statusClassOf(Number(row.klass) * 100)];
    const bar = Math.round((at - timeline.fromMs) / timeline.bucketMs);
    if (!Number.isNaN(bar)) counts[Math.min(counts.length - 1, Math.max(0, bar))]! += count(row);
  }
  const statuses = { "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0, other: 0 };
  let requests = 0;
  let bytes = 0;
  for (const row of rows.statuses) {
    const klass = Number(row.klass);
    const n = count(row);
    requests += n;
    bytes += Number(row.bytes) || 0;
    statuses[klass >= 2 && klass <= 5 ? (`${klass}xx` as "2xx") : "other"] += n;
  }
  let hits = 0;
  let misses = 0;
  for (const row of rows.results) {
    const result = row["x-edge-result-type"];
    if (result === "Hit" || result === "RefreshHit") hits += count(row);
    else if (result === "Miss") misses += count(row);
  }
  return {
    requests,
    bytes,
    cacheHitRatio: hits + misses > 0 ? hits / (hits + misses) : undefined,
    statuses,
    topPaths: ranked(rows.paths, TOP_FIELD.paths),
    topClientIps: ranked(rows.clients, TOP_FIELD.clients),
    topEdges: ranked(rows.edges, TOP_FIELD.edges),
    topUserAgents: ranked(rows.agents, TOP_FIELD.agents),
    slowestPaths: rows.slowest
      .map((row) => ({
        value: row["cs-uri-stem"] ?? "-",
        count: count(row),
        meanSeconds: Number(row.mean) || 0,
      }))
      .filter((p) => p.count >= MIN_SLOW_COUNT)
      .sort((a, b) => b.meanSeconds - a.meanSeconds || a.value.localeCompare(b.value))
      .slice(0, TOP),
    timeline,
    // Insights says how much it scanned, not which request was newest.
    newestAt: undefined,
    linesRead: recordsScanned,
  };
}

/** A sample of the matching events as delivered (`@message`), when an API client with the right asks. */
export function sampleQuery(filter: LogFilter, size: number): string {
  return [...insightsFilter(filter), "fields @message", `limit ${Math.max(1, Math.floor(size))}`].join(" | ");
}
