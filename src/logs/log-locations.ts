import type { LogWindow } from "./access-log-summary.js";

/**
 * Where a distribution's access logs go, as CloudFront and CloudWatch Logs describe it: standard
 * logging (legacy) to a bucket and prefix, or a logging v2 delivery to S3, CloudWatch Logs or
 * Firehose (only S3 and CloudWatch Logs can be read back).
 */
export type LogLocation =
  | { kind: "legacy"; bucket: string; prefix: string }
  | {
      kind: "s3";
      bucket: string;
      /** The destination ARN's path, with its `/`, then the delivery's suffix path (CloudWatch's variables in it). */
      prefix: string;
      suffixPath: string;
      format: string;
      deliveryId: string;
    }
  | { kind: "cloudwatch-logs"; logGroup: string; deliveryId: string }
  | { kind: "firehose"; stream: string; deliveryId: string };

export type S3LogLocation = Extract<LogLocation, { kind: "legacy" | "s3" }>;

/** One ListObjectsV2 walk: the keys under `prefix`, from after `startAfter`. */
export type Listing = { prefix: string; startAfter?: string };

/**
 * CloudFront names a file by the hour of the requests in it; one delivered late ("best effort") is
 * in a later hour's file, never an earlier one's. So the window's files are those named from the
 * hour its start falls in, and the summary keeps only the lines inside the window.
 */
const HOUR = 3_600_000;

/** The bucket a legacy `Logging.Bucket` names (`logs.s3.amazonaws.com`, or with a region). */
export function bucketOfLoggingDomain(domain: string): string {
  return domain.replace(/\.s3(\.[a-z0-9-]+)?\.amazonaws\.com(\.cn)?$/, "");
}

/** `2026-12-07-14`: the hour as CloudFront writes it in a log file's name. */
function hourStamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 13).replace("T", "-");
}

/** The hours (their first ms) the window's files are named by, oldest first. */
function hoursOf(window: LogWindow): number[] {
  const hours: number[] = [];
  const first = Math.floor(window.fromMs / HOUR) * HOUR;
  for (let at = first; at < window.toMs; at += HOUR) hours.push(at);
  return hours;
}

/** A v2 suffix path with its variables filled for this hour (AWS spells the id both ways). */
function expandSuffix(suffix: string, at: number, ids: { distributionId: string; accountId: string }) {
  const d = new Date(at).toISOString();
  return suffix
    .replace(/\{distributionid\}/gi, ids.distributionId)
    .replace(/\{accountid\}/gi, ids.accountId)
    .replace(/\{yyyy\}/g, d.slice(0, 4))
    .replace(/\{MM\}/g, d.slice(5, 7))
    .replace(/\{dd\}/g, d.slice(8, 10))
    .replace(/\{HH\}/g, d.slice(11, 13));
}

/**
 * The listings that find a window's files and no others, beyond a few of the hours next to it: a
 * legacy location is one walk from the window's first hour on (its keys sort by hour); a v2 location with a
 * date in its suffix path is one walk per partition.
 */
export function listingsFor(
  location: S3LogLocation,
  window: LogWindow,
  ids: { distributionId: string; accountId: string },
): Listing[] {
  const [first] = hoursOf(window);
  if (location.kind === "legacy") {
    const prefix = `${location.prefix}${ids.distributionId}.`;
    return [{ prefix, startAfter: `${prefix}${hourStamp(first!)}` }];
  }
  const prefixes = new Set(
    hoursOf(window).map((at) => `${location.prefix}${expandSuffix(location.suffixPath, at, ids)}`),
  );
  return [...prefixes].map((prefix) =>
    // A suffix path without a date puts the files in one folder, named like legacy ones; with none
    // given, CloudWatch's default layout is walked whole and the names pick the window's files.
    prefixes.size === 1 && location.suffixPath !== "" && !/\{(yyyy|MM|dd|HH)\}/.test(location.suffixPath)
      ? { prefix, startAfter: `${prefix}${ids.distributionId}.${hourStamp(first!)}` }
      : { prefix },
  );
}

/**
 * The hour a log file's name says its requests arrived in (`E2EXAMPLE.2026-12-07-14.a1b2c3d4.gz`),
 * or undefined for a name in no form CloudFront writes.
 */
export function hourOfKey(key: string): number | undefined {
  const match = /\.(\d{4})-(\d{2})-(\d{2})-(\d{2})\.[^/]*$/.exec(key);
  if (!match) return undefined;
  const at = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]), Number(match[4]));
  return Number.isNaN(at) ? undefined : at;
}

/** Whether a file, by the hour in its name, may hold requests of the window. */
export function fileMayHold(key: string, window: LogWindow): "yes" | "no" | "later" {
  const hour = hourOfKey(key);
  if (hour === undefined) return "no";
  if (hour >= window.toMs) return "later";
  return hour + HOUR > window.fromMs ? "yes" : "no";
}

/** Whether the object is gzipped, as CloudFront names them. */
export function isGzipped(key: string): boolean {
  return key.endsWith(".gz");
}

/** Where the logs are, for people: `s3://logs/web/` or `CloudWatch Logs group /cdn/web`. */
export function describeLocation(location: LogLocation): string {
  switch (location.kind) {
    case "legacy":
      return `s3://${location.bucket}/${location.prefix} (standard logging, legacy)`;
    case "s3":
      return `s3://${location.bucket}/${location.prefix}${location.suffixPath} (logging v2, ${location.format})`;
    case "cloudwatch-logs":
      return `CloudWatch Logs group ${location.logGroup} (logging v2)`;
    case "firehose":
      return `Firehose stream ${location.stream} (logging v2)`;
  }
}
