import { describeAwsError } from "../aws/aws-errors.js";
import type { RealtimeLogConfigInfo, RealtimeLogConfigInput } from "../aws/cloudfront-gateway.js";
import { UserError } from "../errors.js";
import type { Actor } from "../store/records.js";
import type { ChangeDeps } from "./change-deps.js";
import { checkRealtimeInput } from "./show-config.js";

/** What `/cdn realtime-logs` asks for. */
export type RealtimeLogRequest =
  | { action: "list" }
  | { action: "create" | "update"; input: RealtimeLogConfigInput };

export type RealtimeLogOutcome =
  | { kind: "list"; configs: RealtimeLogConfigInfo[] }
  | { kind: "created" | "updated"; name: string; arn: string };

/**
 * Real-time log configs are account-level and deliver nothing until a behaviour is attached to one
 * (a distribution change, which goes through approval); creating or updating one is audited.
 */
export async function manageRealtimeLogs(
  deps: Pick<ChangeDeps, "records" | "cloudfront" | "clock">,
  command: RealtimeLogRequest,
  actor: Actor,
  channelId: string,
): Promise<RealtimeLogOutcome> {
  try {
    if (command.action === "list")
      return { kind: "list", configs: await deps.cloudfront.listRealtimeLogConfigs() };
    const input = checkRealtimeInput(command.input);
    const out =
      command.action === "create"
        ? await deps.cloudfront.createRealtimeLogConfig(input)
        : await deps.cloudfront.updateRealtimeLogConfig(input);
    await deps.records.commit(
      {
        writes: [],
        audit: [
          {
            type: `aws.${command.action === "create" ? "Create" : "Update"}RealtimeLogConfig`,
            actor,
            channelId,
            summary: `${input.name}: ${input.samplingRate}% to ${input.streamArn}`,
            outcome: "ok",
            ...(out.requestId ? { awsRequestId: out.requestId } : {}),
          },
        ],
      },
      deps.clock(),
    );
    return { kind: command.action === "create" ? "created" : "updated", name: input.name, arn: out.arn };
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`CloudFront refused: ${describeAwsError(error).explanation}`);
  }
}
