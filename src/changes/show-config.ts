import { describeAwsError } from "../aws/aws-errors.js";
import type {
  CloudFrontGateway,
  DistributionConfig,
  RealtimeLogConfigInput,
} from "../aws/cloudfront-gateway.js";
import type { CdnbotConfig } from "../config/config-schema.js";
import { resolveDistribution } from "../config/resolve-distribution.js";
import { UserError } from "../errors.js";
import { code, escapeText, plainMessage, type SlackMessage } from "../messages/format.js";
import { findBehavior } from "./config-fields.js";
import { formatFieldValue } from "./describe-change.js";

function behaviorLines(name: string, b: Record<string, unknown>): string[] {
  const lines = [
    `*Behaviour ${code(name)}* → origin ${code(String(b.TargetOriginId ?? "?"))}, viewer protocol ${escapeText(String(b.ViewerProtocolPolicy ?? "?"))}`,
  ];
  if (b.CachePolicyId) lines.push(`  cache policy ${code(String(b.CachePolicyId))}`);
  else
    lines.push(
      escapeText(
        `  TTLs: min ${String(b.MinTTL ?? 0)} s, default ${String(b.DefaultTTL ?? "?")} s, max ${String(b.MaxTTL ?? "?")} s`,
      ),
    );
  if (b.RealtimeLogConfigArn) lines.push(`  real-time logs ${code(String(b.RealtimeLogConfigArn))}`);
  return lines;
}

export function describeDistributionConfig(
  alias: string,
  id: string,
  config: DistributionConfig,
  behavior?: string,
): SlackMessage {
  if (behavior) return plainMessage(behaviorLines(behavior, findBehavior(config, behavior)).join("\n"));
  const geo = config.Restrictions?.GeoRestriction;
  const lines = [
    `*${code(alias)}* (${escapeText(id)}): ${config.Enabled ? "Enabled" : "Disabled"}, price class ${escapeText(config.PriceClass ?? "?")}, default root object ${code(config.DefaultRootObject || "(none)")}, comment ${code(config.Comment || "(none)")}`,
    `*Geographic restriction:* ${escapeText(formatFieldValue(geo))}`,
    `*Origins:* ${(config.Origins?.Items ?? []).map((o) => `${code(o.Id ?? "")} → ${code(`${o.DomainName ?? ""}${o.OriginPath ?? ""}`)}`).join(", ")}`,
    ...behaviorLines("default", config.DefaultCacheBehavior as unknown as Record<string, unknown>),
    ...(config.CacheBehaviors?.Items ?? []).flatMap((b) =>
      behaviorLines(b.PathPattern ?? "", b as unknown as Record<string, unknown>),
    ),
  ];
  return plainMessage(lines.join("\n"));
}

export async function showConfig(
  deps: { config: CdnbotConfig; cloudfront: CloudFrontGateway },
  nameOrId: string,
  behavior?: string,
): Promise<SlackMessage> {
  const target = resolveDistribution(deps.config, nameOrId);
  let config: DistributionConfig;
  try {
    config = (await deps.cloudfront.getDistributionConfig(target.id)).config;
  } catch (error) {
    throw new UserError(
      `I could not read the config of ${target.id}: ${describeAwsError(error).explanation}`,
    );
  }
  return describeDistributionConfig(target.alias, target.id, config, behavior);
}

const ARN = /^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{12}:.+$/;
export const REALTIME_FIELDS_EXAMPLE = "timestamp,c-ip,sc-status,cs-uri-stem";

export function checkRealtimeInput(input: RealtimeLogConfigInput): RealtimeLogConfigInput {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(input.name))
    throw new UserError("A real-time log config name is 1–128 letters, digits, `-` or `_`.");
  if (!ARN.test(input.streamArn) || !input.streamArn.includes(":kinesis:"))
    throw new UserError("`stream=` must be a Kinesis data stream ARN.");
  if (!ARN.test(input.roleArn) || !input.roleArn.includes(":iam:"))
    throw new UserError("`role=` must be an IAM role ARN.");
  if (!(input.samplingRate >= 1 && input.samplingRate <= 100 && Number.isInteger(input.samplingRate))) {
    throw new UserError("`sampling=` is a whole percentage from 1 to 100.");
  }
  if (input.fields.length === 0)
    throw new UserError(`Name the fields to log, e.g. \`fields=${REALTIME_FIELDS_EXAMPLE}\`.`);
  return input;
}
