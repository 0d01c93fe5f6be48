import type { Readable } from "node:stream";
import {
  CloudWatchLogsClient,
  CreateDeliveryCommand,
  DeleteDeliveryCommand,
  type Delivery,
  DescribeDeliveriesCommand,
  GetDeliveryDestinationCommand,
  GetDeliverySourceCommand,
  GetQueryResultsCommand,
  type OutputFormat,
  PutDeliveryDestinationCommand,
  PutDeliverySourceCommand,
  StartQueryCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import {
  GetBucketAclCommand,
  GetBucketOwnershipControlsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from "@aws-sdk/client-s3";
import type { RoleCredentials } from "./assumed-role.js";
import { type AwsTimeouts, awsClientTimeouts, DEFAULT_AWS_TIMEOUTS } from "./aws-timeouts.js";

/** One object of a listing. */
export type LogObject = { key: string; size: number; lastModified?: Date };

/** A logging v2 delivery of a distribution's access logs, as CloudWatch Logs describes it. */
export type AccessLogDelivery = {
  id: string;
  /** `S3`, `CWL` or `FH`, with the destination's ARN. */
  destinationType: string;
  destinationArn: string;
  /** `w3c`, `json`, `parquet`, `plain`, as the destination says. */
  format: string;
  /** The S3 delivery's suffix path, CloudWatch's variables (`{yyyy}`, `{DistributionId}`…) unfilled. */
  suffixPath: string;
  /** The fields it delivers, when chosen (otherwise CloudFront's defaults). */
  fields?: string[];
  /** Its delivery source's name (one source per distribution and log type). */
  sourceName: string;
};

/** A delivery to make: where (its ARN, and which kind), in what format, with which fields. */
export type NewAccessLogDelivery = {
  distributionArn: string;
  /** The source to deliver from: the distribution's existing one, or a new one of this name. */
  sourceName: string;
  destinationName: string;
  destinationArn: string;
  format: string;
  fields?: string[];
  suffixPath?: string;
};

/** What reading access logs needs from AWS: S3's objects, and CloudWatch Logs' v2 deliveries. */
export interface AccessLogGateway {
  /** One page of keys under `prefix` after `startAfter`, in key order; `next` for the page after. */
  listLogObjects(
    bucket: string,
    listing: { prefix: string; startAfter?: string; continuation?: string; maxKeys?: number },
    likeDistributionId?: string,
  ): Promise<{ objects: LogObject[]; next?: string }>;
  /** The object's body as it streams in (never held whole). */
  openLogObject(bucket: string, key: string, likeDistributionId?: string): Promise<Readable>;
  /** The v2 deliveries whose source is this distribution's ACCESS_LOGS. */
  listAccessLogDeliveries(distributionId: string, likeDistributionId?: string): Promise<AccessLogDelivery[]>;
  /** PutDeliverySource, PutDeliveryDestination (both idempotent by name), CreateDelivery. */
  createAccessLogDelivery(
    input: NewAccessLogDelivery,
    likeDistributionId?: string,
  ): Promise<{ id: string; requestId?: string }>;
  deleteAccessLogDelivery(id: string, likeDistributionId?: string): Promise<void>;
  /**
   * A Logs Insights query over the log group for the range, its rows once it is Complete (asked
   * every second, for at most a minute); with what it scanned.
   */
  queryLogGroup(
    logGroup: string,
    range: { startMs: number; endMs: number },
    query: string,
    likeDistributionId?: string,
  ): Promise<{ rows: Record<string, string>[]; bytesScanned: number; recordsScanned: number }>;
  /**
   * The bucket's Object Ownership: `BucketOwnerEnforced` disables ACLs (the default for buckets made
   * since April 2023), which standard logging (legacy) needs; `ObjectWriter` where none is set.
   */
  bucketOwnership(bucket: string, likeDistributionId?: string): Promise<string>;
  /** Who the bucket's ACL grants what: canonical user ids (or group URIs) with their permission. */
  bucketAclGrants(
    bucket: string,
    likeDistributionId?: string,
  ): Promise<{ grantee: string; permission: string }[]>;
}

export function createS3Client(
  timeouts: AwsTimeouts = DEFAULT_AWS_TIMEOUTS,
  credentials?: RoleCredentials,
  /** For an endpoint of one's own (AWS_ENDPOINT_URL_S3): S3-compatible stores serve paths. */
  pathStyle = false,
) {
  // A log bucket may be in any region: the SDK follows S3's redirect to it.
  return new S3Client({
    region: "us-east-1",
    followRegionRedirects: true,
    forcePathStyle: pathStyle,
    ...awsClientTimeouts(timeouts),
    ...(credentials ? { credentials } : {}),
  });
}

export function createCloudWatchLogsClient(
  timeouts: AwsTimeouts = DEFAULT_AWS_TIMEOUTS,
  credentials?: RoleCredentials,
) {
  // CloudFront's deliveries are made and described in us-east-1, like CloudFront itself.
  return new CloudWatchLogsClient({
    region: "us-east-1",
    ...awsClientTimeouts(timeouts),
    ...(credentials ? { credentials } : {}),
  });
}

/** Where `s3:<bucket>[/prefix]`, `logs:<group>` or `firehose:<stream>` is, as an ARN in this account. */
export function destinationArn(destination: string, accountId: string): { type: string; arn: string } {
  const [scheme, ...rest] = destination.split(":");
  const name = rest.join(":");
  if (scheme === "s3") return { type: "S3", arn: `arn:aws:s3:::${name}` };
  if (scheme === "logs") return { type: "CWL", arn: `arn:aws:logs:us-east-1:${accountId}:log-group:${name}` };
  return { type: "FH", arn: `arn:aws:firehose:us-east-1:${accountId}:deliverystream/${name}` };
}

/** An ARN as people write the destination: `s3:logs/web`, `logs:/cdn/web`, `firehose:cdn-logs`. */
export function destinationOf(
  delivery: Pick<AccessLogDelivery, "destinationType" | "destinationArn">,
): string {
  const arn = delivery.destinationArn;
  if (delivery.destinationType === "S3")
    return `s3:${arn.replace(/^arn:[^:]+:s3:::/, "").replace(/\/$/, "")}`;
  if (delivery.destinationType === "CWL")
    return `logs:${arn.replace(/^arn:[^:]+:logs:[^:]*:\d*:log-group:/, "").replace(/:\*$/, "")}`;
  return `firehose:${arn.split("/").pop() ?? ""}`;
}

/** A Logs Insights query is asked about every second, for at most a minute. */
const QUERY_POLL_MS = 1_000;
const QUERY_POLLS = 60;

export function createAccessLogGateway(s3: S3Client, logs: CloudWatchLogsClient): AccessLogGateway {
  return {
    async listLogObjects(bucket, listing) {
      const out = await s3.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: listing.prefix,
          ...(listing.startAfter && !listing.continuation ? { StartAfter: listing.startAfter } : {}),
          ...(listing.continuation ? { ContinuationToken: listing.continuation } : {}),
          ...(listing.maxKeys ? { MaxKeys: listing.maxKeys } : {}),
        }),
      );
      return {
        objects: (out.Contents ?? []).map((o) => ({
          key: o.Key ?? "",
          size: o.Size ?? 0,
          ...(o.LastModified ? { lastModified: o.LastModified } : {}),
        })),
        ...(out.IsTruncated && out.NextContinuationToken ? { next: out.NextContinuationToken } : {}),
      };
    },
    async openLogObject(bucket, key) {
      const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return out.Body as Readable;
    },
    async bucketOwnership(bucket) {
      try {
        const out = await s3.send(new GetBucketOwnershipControlsCommand({ Bucket: bucket }));
        return out.OwnershipControls?.Rules?.[0]?.ObjectOwnership ?? "ObjectWriter";
      } catch (error) {
        // A bucket without ownership controls is as buckets were before them: ACLs on.
        if ((error as Error).name === "OwnershipControlsNotFoundError") return "ObjectWriter";
        throw error;
      }
    },
    async bucketAclGrants(bucket) {
      const out = await s3.send(new GetBucketAclCommand({ Bucket: bucket }));
      return (out.Grants ?? []).map((g) => ({
        grantee: g.Grantee?.ID ?? g.Grantee?.URI ?? g.Grantee?.EmailAddress ?? "",
        permission: g.Permission ?? "",
      }));
    },
    async createAccessLogDelivery(input) {
      await logs.send(
        new PutDeliverySourceCommand({
          name: input.sourceName,
          resourceArn: input.distributionArn,
          logType: "ACCESS_LOGS",
        }),
      );
      const { deliveryDestination } = await logs.send(
        new PutDeliveryDestinationCommand({
          name: input.destinationName,
          outputFormat: input.format as OutputFormat,
          deliveryDestinationConfiguration: { destinationResourceArn: input.destinationArn },
        }),
      );
      const out = await logs.send(
        new CreateDeliveryCommand({
          deliverySourceName: input.sourceName,
          deliveryDestinationArn: deliveryDestination?.arn ?? "",
          ...(input.fields ? { recordFields: input.fields } : {}),
          ...(input.suffixPath ? { s3DeliveryConfiguration: { suffixPath: input.suffixPath } } : {}),
        }),
      );
      return {
        id: out.delivery?.id ?? "",
        ...(out.$metadata?.requestId ? { requestId: out.$metadata.requestId } : {}),
      };
    },
    async deleteAccessLogDelivery(id) {
      await logs.send(new DeleteDeliveryCommand({ id }));
    },
    async queryLogGroup(logGroup, range, query) {
      const { queryId } = await logs.send(
        new StartQueryCommand({
          logGroupName: logGroup,
          startTime: Math.floor(range.startMs / 1000),
          endTime: Math.ceil(range.endMs / 1000),
          queryString: query,
        }),
      );
      for (let asked = 0; asked < QUERY_POLLS; asked++) {
        const out = await logs.send(new GetQueryResultsCommand({ queryId }));
        if (out.status === "Complete")
          return {
            rows: (out.results ?? []).map((row) =>
              Object.fromEntries(row.map((cell) => [cell.field ?? "", cell.value ?? ""])),
            ),
            bytesScanned: Math.round(out.statistics?.bytesScanned ?? 0),
            recordsScanned: Math.round(out.statistics?.recordsScanned ?? 0),
          };
        if (out.status !== "Running" && out.status !== "Scheduled")
          throw Object.assign(
            new Error(`The Logs Insights query ended ${out.status ?? "without a status"}.`),
            {
              name: "QueryFailed",
            },
          );
        await new Promise((resolve) => setTimeout(resolve, QUERY_POLL_MS));
      }
      throw Object.assign(new Error("The Logs Insights query took longer than a minute."), {
        name: "TimeoutError",
      });
    },
    async listAccessLogDeliveries(distributionId) {
      const deliveries: Delivery[] = [];
      let nextToken: string | undefined;
      do {
        const out = await logs.send(new DescribeDeliveriesCommand(nextToken ? { nextToken } : {}));
        deliveries.push(...(out.deliveries ?? []));
        nextToken = out.nextToken;
      } while (nextToken);
      const found: AccessLogDelivery[] = [];
      const sources = new Map<string, boolean>();
      for (const delivery of deliveries) {
        const name = delivery.deliverySourceName;
        if (!name || !delivery.id || !delivery.deliveryDestinationArn) continue;
        if (!sources.has(name)) {
          const { deliverySource } = await logs.send(new GetDeliverySourceCommand({ name }));
          sources.set(
            name,
            deliverySource?.logType === "ACCESS_LOGS" &&
              (deliverySource.resourceArns ?? []).some((arn) =>
                arn.endsWith(`:distribution/${distributionId}`),
              ),
          );
        }
        if (!sources.get(name)) continue;
        const destinationName = delivery.deliveryDestinationArn.split(":delivery-destination:")[1] ?? "";
        const { deliveryDestination } = await logs.send(
          new GetDeliveryDestinationCommand({ name: destinationName }),
        );
        found.push({
          id: delivery.id,
          sourceName: name,
          ...(delivery.recordFields?.length ? { fields: delivery.recordFields } : {}),
          destinationType:
            delivery.deliveryDestinationType ?? deliveryDestination?.deliveryDestinationType ?? "",
          destinationArn: deliveryDestination?.deliveryDestinationConfiguration?.destinationResourceArn ?? "",
          format: (deliveryDestination?.outputFormat ?? "w3c").toLowerCase(),
          suffixPath: delivery.s3DeliveryConfiguration?.suffixPath ?? "",
        });
      }
      return found;
    },
  };
}
