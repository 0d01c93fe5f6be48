import { createHash } from "node:crypto";
import { type AccessLogDelivery, destinationArn, destinationOf } from "../aws/access-log-calls.js";
import { describeAwsError } from "../aws/aws-errors.js";
import type { CdnbotConfig } from "../config/config-schema.js";
import { UserError } from "../errors.js";
import type { ChangeSpec, FieldDiff, FieldWrite } from "../store/change-spec.js";
import type { ChangeOperation } from "../store/records.js";
import { quote } from "../text/plain-text.js";
import type { ChangeDeps } from "./change-deps.js";
import type { LogDeliveryDocument } from "./config-fields.js";
import type { VersionedDocument } from "./etag-safe-write.js";
import { diffWrites } from "./plan-change.js";

/**
 * Standard logging v2 as a change: the distribution's access log delivery (CloudWatch Logs' vended
 * logs) is a document of its own, `delivery.Destination`, `.Format`, `.Fields`, read from the
 * deliveries whose source is the distribution and written by making or deleting them. CloudWatch
 * Logs versions nothing, so the document's ETag is a digest of every delivery read: one made or
 * removed by anyone between the read and the write makes it stale, as an ETag would be.
 */

type DeliveryDeps = Pick<ChangeDeps, "config" | "accessLogs">;

/** The document a change writes: the distribution's delivery (the first, where it has several). */
function documentOf(deliveries: readonly AccessLogDelivery[]): LogDeliveryDocument {
  const [first] = [...deliveries].sort((a, b) => a.id.localeCompare(b.id));
  if (!first) return {};
  return {
    Destination: destinationOf(first),
    Format: first.format,
    ...(first.fields ? { Fields: first.fields.join(",") } : {}),
  };
}

function digest(deliveries: readonly AccessLogDelivery[]): string {
  const sorted = [...deliveries].sort((a, b) => a.id.localeCompare(b.id));
  return createHash("sha256").update(JSON.stringify(sorted)).digest("hex").slice(0, 16);
}

/** The writes a logging v2 change means; refuses a destination the config does not list. */
export function compileLogDelivery(config: CdnbotConfig, spec: ChangeSpec): FieldWrite[] {
  if (spec.kind === "rollback") return spec.writes;
  if (spec.kind !== "log-delivery") throw new Error(`not a logging v2 change: ${spec.kind}`);
  if (spec.destination === null)
    return [
      { path: "delivery.Destination", value: undefined },
      { path: "delivery.Format", value: undefined },
      { path: "delivery.Fields", value: undefined },
    ];
  const [scheme, ...rest] = spec.destination.split(":");
  const name = rest.join(":");
  const listed =
    scheme === "s3"
      ? { key: "accessLogs.buckets", names: config.accessLogs?.buckets ?? [], name: name.split("/")[0]! }
      : scheme === "logs"
        ? { key: "accessLogs.logGroups", names: config.accessLogs?.logGroups ?? [], name }
        : { key: "accessLogs.firehoseStreams", names: config.accessLogs?.firehoseStreams ?? [], name };
  if (!listed.names.includes(listed.name))
    throw new UserError(
      `Access logs go only where the config lists (\`${listed.key}\`: ${listed.names.length ? listed.names.map(quote).join(", ") : "none yet"}); ${quote(listed.name)} is not there. Nothing was sent.`,
    );
  const format = spec.format ?? (scheme === "logs" ? "json" : "w3c");
  if (format === "parquet" && scheme !== "s3")
    throw new UserError("Parquet goes to S3 only: choose `format=json`, `w3c` or `plain`. Nothing was sent.");
  return [
    { path: "delivery.Destination", value: spec.destination },
    { path: "delivery.Format", value: format },
    { path: "delivery.Fields", value: spec.fields?.join(",") },
  ];
}

/** The gateway, which every bot has (tests of other workflows build theirs without it). */
function gatewayOf(deps: Pick<ChangeDeps, "accessLogs">) {
  if (!deps.accessLogs) throw new Error("logging v2 changes need the access log gateway");
  return deps.accessLogs;
}

async function readDeliveries(deps: DeliveryDeps, distributionId: string): Promise<AccessLogDelivery[]> {
  try {
    return await gatewayOf(deps).listAccessLogDeliveries(distributionId);
  } catch (error) {
    throw new UserError(
      `I could not read the logging v2 deliveries of ${distributionId}: ${describeAwsError(error).explanation}`,
    );
  }
}

/** Whether the distribution delivers logs with logging v2 now (for `off`, which turns off what is on). */
export async function hasLogDelivery(deps: DeliveryDeps, distributionId: string): Promise<boolean> {
  return (await readDeliveries(deps, distributionId)).length > 0;
}

/** Before → after of the distribution's delivery, read now; nothing is written. */
export async function previewLogDelivery(
  deps: DeliveryDeps,
  distributionId: string,
  spec: ChangeSpec,
): Promise<FieldDiff[]> {
  const writes = compileLogDelivery(deps.config, spec);
  return diffWrites(documentOf(await readDeliveries(deps, distributionId)), writes);
}

/**
 * The distribution's delivery as a change writes it: the deliveries read again just before, their
 * digest checked against the one the decision was made on, then the new delivery made (its source
 * and destination put first, both idempotent by name) and the others deleted. A delivery of the
 * same kind as the new one goes first: CloudWatch Logs takes one per kind and source.
 */
export function logDeliveryDocument(
  deps: ChangeDeps,
  op: ChangeOperation,
): VersionedDocument<LogDeliveryDocument> {
  const distributionId = op.distributionId;
  const logs = gatewayOf(deps);
  return {
    ref: { kind: "log-delivery", name: op.alias },
    read: async () => {
      const deliveries = await logs.listAccessLogDeliveries(distributionId);
      return { config: documentOf(deliveries), etag: digest(deliveries) };
    },
    write: async (doc, ifMatch) => {
      const now = await logs.listAccessLogDeliveries(distributionId);
      if (digest(now) !== ifMatch)
        throw Object.assign(new Error("The deliveries changed since they were read."), {
          name: "PreconditionFailed",
        });
      if (!doc.Destination) {
        for (const d of now) await logs.deleteAccessLogDelivery(d.id, distributionId);
        return {};
      }
      const info = await deps.cloudfront.getDistribution(distributionId);
      const accountId = info.arn.split(":")[4] ?? "";
      const target = destinationArn(doc.Destination, accountId);
      for (const d of now.filter((d) => d.destinationType === target.type))
        await logs.deleteAccessLogDelivery(d.id, distributionId);
      const format = doc.Format ?? "w3c";
      const made = await logs.createAccessLogDelivery(
        {
          distributionArn: info.arn,
          sourceName: now[0]?.sourceName ?? `cdnbot-${distributionId}`,
          // One destination per place and format: a name CloudWatch Logs takes (1–60 characters).
          destinationName: `cdnbot-${createHash("sha256").update(`${target.arn} ${format}`).digest("hex").slice(0, 20)}`,
          destinationArn: target.arn,
          format,
          ...(doc.Fields ? { fields: doc.Fields.split(",") } : {}),
          // Hourly partitions: `/cdn logs` lists only the window's.
          ...(target.type === "S3" ? { suffixPath: "{DistributionId}/{yyyy}/{MM}/{dd}/{HH}" } : {}),
        },
        distributionId,
      );
      for (const d of now.filter((d) => d.destinationType !== target.type))
        await logs.deleteAccessLogDelivery(d.id, distributionId);
      return made.requestId ? { requestId: made.requestId } : {};
    },
  };
}
