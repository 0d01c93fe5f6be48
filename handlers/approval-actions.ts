import type { AllMiddlewareArgs, App, BlockButtonAction, SlackActionMiddlewareArgs } from "@slack/bolt";
import {
  type ApprovalDeps,
  decide,
  requestIdSchema,
  type Verdict,
} from "../src/approvals/approval-service.js";
import { APPROVE_ACTION_ID, REJECT_ACTION_ID } from "../src/messages/approval-messages.js";
import { literalMessage } from "../src/messages/format.js";
import { describeFailure } from "./cdn-command.js";

type ButtonArgs = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

export function register(app: App, deps: ApprovalDeps): void {
  app.action<BlockButtonAction>(APPROVE_ACTION_ID, handleApprovalClick(deps, "approve"));
  app.action<BlockButtonAction>(REJECT_ACTION_ID, handleApprovalClick(deps, "reject"));
}

/** Ack at once; the button's value is only a request id, everything else comes from the store. */
export function handleApprovalClick(deps: ApprovalDeps, verdict: Verdict) {
  return async function approvalClick({ ack, body, action, respond }: ButtonArgs): Promise<void> {
    await ack();
    const say = (text: string) =>
      respond({ response_type: "ephemeral", replace_original: false, ...literalMessage(text) });
    const parsed = requestIdSchema.safeParse(action.value);
    const teamId = body.team?.id ?? body.user.team_id;
    if (!parsed.success || !teamId) {
      await say("This button does not point at a request I know. Nothing was changed.");
      return;
    }
    try {
      const message = await decide(deps, {
        requestId: parsed.data,
        actor: { userId: body.user.id, teamId },
        ...(body.channel?.id ? { channelId: body.channel.id } : {}),
        verdict,
      });
      await say(message);
    } catch (error) {
      const failure = describeFailure(deps, error);
      await respond({
        response_type: "ephemeral",
        replace_original: false,
        text: failure.text,
        blocks: failure.blocks,
      });
    }
  };
}
