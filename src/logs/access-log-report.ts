import pLimit from "p-limit";
import { effectivePolicy, type GroupLookup, isAmong } from "../approvals/policy.js";
import { type AccessLogGateway, destinationOf, type LogObject } from "../aws/access-log-calls.js";
import { describeAwsError } from "../aws/aws-errors.js";
import type { CloudFrontGateway } from "../aws/cloudfront-gateway.js";
import type { CdnbotConfig } from "../config/config-schema.js";
import type { DistributionDirectory } from "../directory/distribution-directory.js";
import { UserError } from "../errors.js";
import { quote } from "../text/plain-text.js";
import { AccessLogSummarizer, type AccessLogSummary, type LogFilter } from "./access-log-summary.js";
import { maskedClients } from "./client-ips.js";
import { summarizeLogFile } from "./log-file-stream.js";
import {
  type InsightsFigure,
  type InsightsRow,
  insightsQueries,
  sampleQuery,
  summaryFromInsights,
} from "./log-insights.js";
import {
  bucketOfLoggingDomain,
  describeLocation,
  fileMayHold,
  hourOfKey,
  isGzipped,
  type LogLocation,
  listingsFor,
  type S3LogLocation,
} from "./log-locations.js";
import { type LogQueryWindow, parseLogWindow } from "./log-query.js";

export type AccessLogDeps = {
  config: CdnbotConfig;
  directory: DistributionDirectory;
  cloudfront: Pick<CloudFrontGateway, "getDistribution" | "getDistributionConfig">;
  logs: AccessLogGateway;
  clock: () => number;
};

/** What `/cdn logs`, the API and MCP answer: a window's numbers, where they came from, how much was read. */
export type AccessLogReport = {
  alias: string;
  distributionId: string;
  window: LogQueryWindow;
  filter: LogFilter;
  /** Where the distribution's logs go, for people (every location, read or not). */
  locations: string[];
  /** Why a location was not read (a Firehose stream, Parquet, a bucket the config does not list…). */
  notes: string[];
  /**
   * `logging-off`: no location at all; `unreadable`: none the bot can read (`notes` say why);
   * `no-files`: nothing yet for the window; else `read`.
   */
  state: "read" | "no-files" | "unreadable" | "logging-off";
  files: number;
  /** Bytes of the objects read, as stored (gzipped). */
  bytesRead: number;
  malformedLines: number;
  /** The read budget (`accessLogs.maxReadMegabytes`) ran out: files of this hour on were not read. */
  truncatedAt?: number;
  /** When the newest file read was written: logs arrive minutes late, and this says how late. */
  newestFileAt?: number;
  summary: AccessLogSummary;
  clientIpsMasked: boolean;
};

/** Where the bot can read back from: a Firehose stream it cannot. */
type ReadableLocation = Exclude<LogLocation, { kind: "firehose" }>;

const PREFERENCE: Record<ReadableLocation["kind"], number> = { s3: 0, legacy: 1, "cloudwatch-logs": 2 };

/** Files read at once: enough to keep S3 busy, few enough that a day's read stays in bounded memory. */
const CONCURRENT_FILES = 4;

/**
 * Reads a distribution's access logs for a window, from wherever they go that can be read back, and
 * sums them. `showClientIps` false masks the client addresses (and refuses an `ip=` filter, which
 * would answer whether an address came).
 */
export async function readAccessLogs(
  deps: AccessLogDeps,
  input: {
    distribution: string;
    window?: string;
    filter: LogFilter;
    showClientIps: boolean;
    /** Raw lines to sample (for an API client with the rawLogLines right; they hold addresses whole). */
    sample?: number;
  },
): Promise<AccessLogReport> {
  const target = deps.directory.resolve(input.distribution);
  const window = parseLogWindow(input.window, deps.clock());
  if (input.filter.ip !== undefined && !input.showClientIps)
    throw new UserError(
      `You may not filter by client IP on ${quote(target.alias)}: client addresses are personal data, shown only to the people the config names (accessLogs.clientIpsVisibleTo, else the distribution's approvers). Nothing was read.`,
    );
  const notes: string[] = [];
  const { locations, accountId } = await findLocations(deps, target.id, notes);
  const readable: ReadableLocation[] = [];
  const buckets = deps.config.accessLogs?.buckets ?? [];
  const groups = deps.config.accessLogs?.logGroups ?? [];
  for (const location of locations) {
    if (location.kind === "firehose")
      notes.push(`${describeLocation(location)}: a stream cannot be read back.`);
    else if (location.kind === "cloudwatch-logs") {
      if (groups.includes(location.logGroup)) readable.push(location);
      else
        notes.push(
          `${describeLocation(location)}: log group ${quote(location.logGroup)} is not in the config's accessLogs.logGroups, so the bot is not granted querying it.`,
        );
    } else if (location.kind === "s3" && !/^(w3c|plain|json)$/.test(location.format))
      notes.push(`${describeLocation(location)}: cdnbot reads W3C and JSON logs, not ${location.format}.`);
    else if (!buckets.includes(location.bucket))
      notes.push(
        `${describeLocation(location)}: bucket ${quote(location.bucket)} is not in the config's accessLogs.buckets, so the bot is not granted reading it.`,
      );
    else readable.push(location);
  }
  // Every location holds the same requests: one is read, or they would be counted twice. Logging
  // v2's S3 first (its hourly partitions list cheapest), then legacy's, then CloudWatch Logs.
  const chosen = [...readable].sort((a, b) => PREFERENCE[a.kind] - PREFERENCE[b.kind])[0];
  for (const other of readable)
    if (other !== chosen) notes.push(`${describeLocation(other)}: the same requests, not read twice.`);
  const summarizer = new AccessLogSummarizer(window, input.filter, input.sample ?? 0);
  const base = {
    alias: target.alias,
    distributionId: target.id,
    window,
    filter: input.filter,
    locations: locations.map(describeLocation),
    notes,
    files: 0,
    bytesRead: 0,
    malformedLines: 0,
    clientIpsMasked: !input.showClientIps,
  };
  if (locations.length === 0) return { ...base, state: "logging-off", summary: summarizer.summary() };
  if (!chosen) return { ...base, state: "unreadable", summary: summarizer.summary() };
  const read =
    chosen.kind === "cloudwatch-logs"
      ? await queryLogGroup(deps, chosen.logGroup, {
          window,
          filter: input.filter,
          sample: input.sample ?? 0,
        })
      : await readFiles(deps, chosen, summarizer, { window, distributionId: target.id, accountId });
  const { summary } = read;
  return {
    ...base,
    ...read,
    summary: input.showClientIps
      ? summary
      : { ...summary, topClientIps: maskedClients(summary.topClientIps) },
  };
}

/** What reading one location found: the summary, and what was read to make it. */
type LocationRead = Pick<
  AccessLogReport,
  "state" | "files" | "bytesRead" | "malformedLines" | "truncatedAt" | "newestFileAt" | "summary"
>;

/**
 * The window's files of an S3 location, oldest first within `accessLogs.maxReadMegabytes`, streamed
 * into the summary a few at once.
 */
async function readFiles(
  deps: AccessLogDeps,
  location: S3LogLocation,
  summarizer: AccessLogSummarizer,
  at: { window: LogQueryWindow; distributionId: string; accountId: string },
): Promise<LocationRead> {
  const files = await windowFiles(deps, location, at.window, at);
  // Oldest first, so a read cut short by the budget covers the window's start without a gap.
  files.sort((a, b) => a.key.localeCompare(b.key));
  const budget = (deps.config.accessLogs?.maxReadMegabytes ?? 2048) * 1024 * 1024;
  let planned = 0;
  let truncatedAt: number | undefined;
  const toRead = files.filter((object) => {
    if (truncatedAt !== undefined) return false;
    if (planned > 0 && planned + object.size > budget) {
      truncatedAt = hourOfKey(object.key) ?? at.window.toMs;
      return false;
    }
    planned += object.size;
    return true;
  });
  const limit = pLimit(CONCURRENT_FILES);
  let malformed = 0;
  await Promise.all(
    toRead.map((object) =>
      limit(async () => {
        const body = await awsRead(`reading ${object.key}`, () =>
          deps.logs.openLogObject(location.bucket, object.key, at.distributionId),
        );
        malformed += (await summarizeLogFile(body, isGzipped(object.key), summarizer)).malformed;
      }),
    ),
  );
  const newest = Math.max(0, ...toRead.map((object) => object.lastModified?.getTime() ?? 0));
  return {
    state: toRead.length === 0 ? "no-files" : "read",
    files: toRead.length,
    bytesRead: planned,
    malformedLines: malformed,
    ...(truncatedAt !== undefined ? { truncatedAt } : {}),
    ...(newest > 0 ? { newestFileAt: newest } : {}),
    summary: summarizer.summary(),
  };
}

/** Legacy logging from the distribution's config, and its logging v2 deliveries from CloudWatch Logs. */
async function findLocations(
  deps: AccessLogDeps,
  distributionId: string,
  notes: string[],
): Promise<{ locations: LogLocation[]; accountId: string }> {
  const [{ config }, info, deliveries] = await Promise.all([
    awsRead("reading the distribution's config", () => deps.cloudfront.getDistributionConfig(distributionId)),
    awsRead("reading the distribution", () => deps.cloudfront.getDistribution(distributionId)),
    // Without the CloudWatch Logs rights (a bot set up for legacy logging only), legacy is still read.
    deps.logs.listAccessLogDeliveries(distributionId).catch((error: unknown) => {
      notes.push(
        `Its logging v2 deliveries could not be listed (${describeAwsError(error).explanation}); only standard logging (legacy) was looked at.`,
      );
      return [];
    }),
  ]);
  const locations: LogLocation[] = [];
  const legacy = config.Logging;
  if (legacy?.Enabled && legacy.Bucket)
    locations.push({
      kind: "legacy",
      bucket: bucketOfLoggingDomain(legacy.Bucket),
      prefix: legacy.Prefix ?? "",
    });
  for (const d of deliveries) {
    // `s3:<bucket>/<prefix>`, `logs:<group>` or `firehose:<stream>`, read out of its ARN once.
    const [scheme, ...rest] = destinationOf(d).split(":");
    const name = rest.join(":");
    if (scheme === "s3") {
      const [bucket = "", ...path] = name.split("/");
      const prefix = path.join("/");
      locations.push({
        kind: "s3",
        bucket,
        prefix: prefix ? `${prefix}/` : prefix,
        suffixPath: d.suffixPath,
        format: d.format,
        deliveryId: d.id,
      });
    } else if (scheme === "logs")
      locations.push({ kind: "cloudwatch-logs", logGroup: name, deliveryId: d.id });
    else locations.push({ kind: "firehose", stream: name, deliveryId: d.id });
  }
  return { locations, accountId: info.arn.split(":")[4] ?? "" };
}

/** The files of a location that may hold the window's requests, found by the hour in their names. */
async function windowFiles(
  deps: AccessLogDeps,
  location: S3LogLocation,
  window: LogQueryWindow,
  ids: { distributionId: string; accountId: string },
): Promise<LogObject[]> {
  const found: LogObject[] = [];
  for (const listing of listingsFor(location, window, ids)) {
    let continuation: string | undefined;
    let past = false;
    do {
      const page = await awsRead(`listing s3://${location.bucket}/${listing.prefix}`, () =>
        deps.logs.listLogObjects(
          location.bucket,
          { ...listing, ...(continuation ? { continuation } : {}) },
          ids.distributionId,
        ),
      );
      for (const object of page.objects) {
        const fits = fileMayHold(object.key, window);
        if (fits === "yes") found.push(object);
        // Legacy keys sort by hour: the first one past the window ends the walk.
        else if (fits === "later" && location.kind === "legacy") past = true;
      }
      continuation = page.next;
    } while (continuation && !past);
  }
  return found;
}

/** An AWS read that failed, as a message that says which and why. */
async function awsRead<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof UserError) throw error;
    const problem = describeAwsError(error);
    throw new UserError(`AWS refused ${what}: ${problem.explanation} Nothing more was read.`);
  }
}

/**
 * Whether this person sees client addresses whole: those `accessLogs.clientIpsVisibleTo` names,
 * else the distribution's approvers; where neither names anyone, nobody (they are personal data).
 */
export async function maySeeClientIps(
  deps: { config: CdnbotConfig; directory: DistributionDirectory; membersOf: GroupLookup },
  distribution: string,
  userId: string,
): Promise<boolean> {
  const target = deps.directory.resolve(distribution);
  const named =
    deps.config.accessLogs?.clientIpsVisibleTo ??
    effectivePolicy(deps.config.policy, deps.directory.policyOf(target)).approvers;
  return named ? isAmong(named, userId, deps.membersOf) : false;
}

/** `/cdn logging <distribution> show`: where its access logs go, legacy and logging v2 alike. */
export async function showLogging(
  deps: AccessLogDeps,
  distribution: string,
): Promise<{ alias: string; distributionId: string; locations: string[]; notes: string[] }> {
  const target = deps.directory.resolve(distribution);
  const notes: string[] = [];
  const { locations } = await findLocations(deps, target.id, notes);
  return {
    alias: target.alias,
    distributionId: target.id,
    locations: locations.map(describeLocation),
    notes,
  };
}

/** The window's figures from a log group, each one Logs Insights query (and the sample's), all at once. */
async function queryLogGroup(
  deps: AccessLogDeps,
  logGroup: string,
  input: { window: LogQueryWindow; filter: LogFilter; sample: number },
): Promise<LocationRead> {
  const ask = (query: string) =>
    awsRead(`querying log group ${logGroup}`, () =>
      deps.logs.queryLogGroup(logGroup, { startMs: input.window.fromMs, endMs: input.window.toMs }, query),
    );
  const queries = Object.entries(insightsQueries(input.filter, input.window)) as [InsightsFigure, string][];
  const [answers, sampled] = await Promise.all([
    Promise.all(queries.map(([, query]) => ask(query))),
    input.sample > 0 ? ask(sampleQuery(input.filter, input.sample)) : undefined,
  ]);
  const rows = Object.fromEntries(queries.map(([figure], i) => [figure, answers[i]!.rows])) as Record<
    InsightsFigure,
    InsightsRow[]
  >;
  // Each query scans the same events: one's scan is what was read.
  const bytesScanned = answers[0]?.bytesScanned ?? 0;
  const summary = summaryFromInsights(rows, answers[0]?.recordsScanned ?? 0, input.window);
  return {
    state: summary.requests === 0 && bytesScanned === 0 ? "no-files" : "read",
    files: 0,
    bytesRead: bytesScanned,
    malformedLines: 0,
    summary: sampled ? { ...summary, sample: sampled.rows.map((row) => row["@message"] ?? "") } : summary,
  };
}
