import type { AllMiddlewareArgs, App, BlockButtonAction, SlackActionMiddlewareArgs } from "@slack/bolt";
import { postAlertLogs } from "../src/commands/post-access-logs.js";
import type { CommandDeps } from "../src/commands/run-cdn-command.js";
import { UserError } from "../src/errors.js";
import { literalMessage, type SlackMessage } from "../src/messages/format.js";
import { ALERT_LOGS_ACTION_ID } from "../src/messages/watch-messages.js";

type ButtonArgs = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

export function register(app: App, deps: CommandDeps): void {
  app.action<BlockButtonAction>(ALERT_LOGS_ACTION_ID, handleAlertLogsClick(deps));
}

/**
 * An alert's "Access logs" button. It only reads, so it is acked at once; the summary follows in
 * the alert's thread (or, with whole client addresses, in a reply to the person who clicked).
 */
export function handleAlertLogsClick(deps: CommandDeps) {
  return async function alertLogsClick({ ack, body, action, respond }: ButtonArgs): Promise<void> {
    await ack();
    const reply = (message: SlackMessage) =>
      respond({ response_type: "ephemeral", replace_original: false, ...message });
    const teamId = body.team?.id ?? body.user.team_id ?? "";
    const channelId = body.channel?.id;
    if (!channelId) {
      await reply(literalMessage("This button works in the alert's channel only. Nothing was read."));
      return;
    }
    try {
      const whole = await postAlertLogs(deps, {
        alertId: action.value ?? "",
        actor: { userId: body.user.id, teamId },
        channelId,
        ...(body.message?.ts ? { threadTs: body.message.ts } : {}),
      });
      if (whole) await reply(whole);
    } catch (error) {
      if (!(error instanceof UserError)) {
        deps.logger.error("The access logs of an alert failed", { error });
        await reply(literalMessage("Something went wrong reading the access logs; it is in the bot's log."));
        return;
      }
      await reply(literalMessage(error.message));
    }
  };
}
