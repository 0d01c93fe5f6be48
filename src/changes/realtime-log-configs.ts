import { describeAwsError } from "../aws/aws-errors.js";
import type { ChangeCommand } from "../commands/parse-change-command.js";
import { UserError } from "../errors.js";
import { code, escapeText, plainMessage, type SlackMessage } from "../messages/format.js";
import type { Actor } from "../store/records.js";
import type { ChangeDeps } from "./change-service.js";
import { checkRealtimeInput } from "./show-config.js";

/**
 * Real-time log configs are account-level and deliver nothing until a behaviour is attached to one
 * (a distribution change, which goes through approval); creating or updating one is audited.
 */
export async function manageRealtimeLogs(
  deps: Pick<ChangeDeps, "records" | "cloudfront" | "clock">,
  command: Extract<ChangeCommand, { verb: "realtime-logs" }>,
  actor: Actor,
  channelId: string,
): Promise<SlackMessage> {
  try {
    if (command.action === "list") {
      const configs = await deps.cloudfront.listRealtimeLogConfigs();
      if (configs.length === 0)
        return plainMessage("There are no real-time log configs in this AWS account.");
      return plainMessage(
        `Real-time log configs:\n${configs
          .map(
            (c) =>
              `${code(c.name)}: ${c.samplingRate}% of requests to ${code(c.streamArn)}, fields ${escapeText(c.fields.join(","))} (${code(c.arn)})`,
          )
          .join("\n")}`,
      );
    }
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
    return plainMessage(
      `Real-time log config ${code(input.name)} ${command.action === "create" ? "created" : "updated"} (${code(out.arn)}). Attach it to a behaviour with ${code(`/cdn realtime-log <distribution> <behaviour> attach ${out.arn}`)}.`,
    );
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`CloudFront refused: ${describeAwsError(error).explanation}`);
  }
}
