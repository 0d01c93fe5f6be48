import { describeAwsError } from "../aws/aws-errors.js";
import type {
  CloudFrontGateway,
  DistributionConfig,
  RealtimeLogConfigInput,
} from "../aws/cloudfront-gateway.js";
import type { DistributionDirectory } from "../directory/distribution-directory.js";
import { UserError } from "../errors.js";
import { findBehavior } from "./config-fields.js";

/** A distribution's settings as CloudFront has them now, or one behaviour of it. */
export type ConfigView = {
  alias: string;
  id: string;
  config: DistributionConfig;
  behavior?: { name: string; settings: Record<string, unknown> };
};

export async function showConfig(
  deps: { directory: DistributionDirectory; cloudfront: CloudFrontGateway },
  nameOrId: string,
  behavior?: string,
): Promise<ConfigView> {
  const target = deps.directory.resolve(nameOrId);
  let config: DistributionConfig;
  try {
    config = (await deps.cloudfront.getDistributionConfig(target.id)).config;
  } catch (error) {
    throw new UserError(
      `I could not read the config of ${target.id}: ${describeAwsError(error).explanation}`,
    );
  }
  return {
    alias: target.alias,
    id: target.id,
    config,
    // An unknown behaviour is refused here, in words, with the ones that exist.
    ...(behavior ? { behavior: { name: behavior, settings: findBehavior(config, behavior) } } : {}),
  };
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
