import type { RealtimeLogOutcome } from "../changes/realtime-log-configs.js";
import { code, escapeText, plainMessage, type SlackMessage } from "./format.js";

export function realtimeLogMessage(outcome: RealtimeLogOutcome): SlackMessage {
  if (outcome.kind === "list") {
    if (outcome.configs.length === 0)
      return plainMessage("There are no real-time log configs in this AWS account.");
    return plainMessage(
      `Real-time log configs:\n${outcome.configs
        .map(
          (c) =>
            `${code(c.name)}: ${c.samplingRate}% of requests to ${code(c.streamArn)}, fields ${escapeText(c.fields.join(","))} (${code(c.arn)})`,
        )
        .join("\n")}`,
    );
  }
  return plainMessage(
    `Real-time log config ${code(outcome.name)} ${outcome.kind} (${code(outcome.arn)}). Attach it to a behaviour with ${code(`/cdn realtime-log <distribution> <behaviour> attach ${outcome.arn}`)}.`,
  );
}
