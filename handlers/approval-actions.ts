import type {
  AllMiddlewareArgs,
  App,
  BlockButtonAction,
  SlackActionMiddlewareArgs,
  SlackViewMiddlewareArgs,
  ViewSubmitAction,
} from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import {
  type ApprovalDeps,
  ConfirmationNeeded,
  recordDecision,
  requestIdSchema,
  type Verdict,
} from "../src/approvals/approval-service.js";
import { acknowledgeReview } from "../src/approvals/break-glass.js";
import { UserError } from "../src/errors.js";
import {
  APPROVE_ACTION_ID,
  REJECT_ACTION_ID,
  STEP_UP_CALLBACK_ID,
  stepUpRefusedView,
  stepUpView,
} from "../src/messages/approval-messages.js";
import { literalMessage } from "../src/messages/format.js";
import { ACKNOWLEDGE_REVIEW_ACTION_ID } from "../src/messages/review-messages.js";
import type { Actor, ApprovalRequest } from "../src/store/records.js";
import { ackedEarly, beforeAckDue, STILL_SAVING_VOTE } from "./ack-deadline.js";
import { describeFailure } from "./cdn-command.js";

type ButtonArgs = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

/** Where a click from the Home tab is answered: the tab is drawn again, the outcome at its top. */
export type HomeRedraw = (client: WebClient, viewer: Actor, notice: string) => Promise<void>;

export function register(app: App, deps: ApprovalDeps, redrawHome?: HomeRedraw): void {
  app.action<BlockButtonAction>(APPROVE_ACTION_ID, handleApprovalClick(deps, "approve", redrawHome));
  app.view(STEP_UP_CALLBACK_ID, handleStepUpSubmit(deps));
  app.action<BlockButtonAction>(REJECT_ACTION_ID, handleApprovalClick(deps, "reject", redrawHome));
  app.action<BlockButtonAction>(ACKNOWLEDGE_REVIEW_ACTION_ID, handleReviewClick(deps, redrawHome));
}

/**
 * How a click is answered: acked once (a request the guard acknowledged early is answered by
 * replies only), then told in words privately under its message, or, for a click in the Home tab,
 * which has no message to answer under, by drawing the tab again with the words at its top.
 */
function clickReplies({ ack, body, respond, client, context }: ButtonArgs, redrawHome?: HomeRedraw) {
  const ackOnce = async () => {
    if (!ackedEarly(context)) await ack();
  };
  const teamId = body.team?.id ?? body.user.team_id;
  const fromHome = body.view?.type === "home" && redrawHome !== undefined && teamId !== undefined;
  const say = (text: string) =>
    fromHome
      ? redrawHome(client, { userId: body.user.id, teamId }, text)
      : respond({ response_type: "ephemeral", replace_original: false, ...literalMessage(text) }).then(
          () => undefined,
        );
  return { ackOnce, teamId, fromHome, say };
}

/**
 * A break-glass change's Acknowledge button: the review is closed (one conditional commit, with its
 * audit entry) before the click is acked where the store answers in time; the value is only the
 * review's id, the rest comes from the store.
 */
export function handleReviewClick(deps: ApprovalDeps, redrawHome?: HomeRedraw) {
  return async function reviewClick(args: ButtonArgs): Promise<void> {
    const { action, body, context } = args;
    const { ackOnce, teamId, say } = clickReplies(args, redrawHome);
    const reviewId = action.value ?? "";
    if (!/^[A-Za-z0-9-]{1,64}$/.test(reviewId) || !teamId) {
      await ackOnce();
      await say("This button does not point at a review I know. Nothing was changed.");
      return;
    }
    const acknowledging = acknowledgeReview(deps, { reviewId, actor: { userId: body.user.id, teamId } });
    const inTime = await beforeAckDue(context, acknowledging);
    await ackOnce();
    if (!inTime)
      await say(
        "Still saving your acknowledgement: my state store is answering slowly. I will say here in a moment whether it was taken; if I do not, click again.",
      );
    try {
      await say(await acknowledging);
    } catch (error) {
      if (error instanceof UserError) await say(error.message);
      else {
        const failure = describeFailure(deps, error);
        await say(failure.text);
      }
    }
  };
}

/**
 * The vote is stored before the click is acked (a click answered is a click kept, across a crash);
 * what it starts runs after. The button's value is only a request id, everything else comes from
 * the store.
 */
export function handleApprovalClick(
  deps: ApprovalDeps,
  verdict: Verdict,
  redrawHome?: HomeRedraw,
  record: typeof recordDecision = recordDecision,
) {
  return async function approvalClick(args: ButtonArgs): Promise<void> {
    const { action, body, respond, client, context } = args;
    const { ackOnce, teamId, fromHome, say } = clickReplies(args, redrawHome);
    const parsed = requestIdSchema.safeParse(action.value);
    if (!parsed.success || !teamId) {
      await ackOnce();
      await say("This button does not point at a request I know. Nothing was changed.");
      return;
    }
    const openConfirmation = async (request: ApprovalRequest) => {
      try {
        await client.views.open({ trigger_id: body.trigger_id, view: stepUpView(request) });
      } catch (error) {
        deps.logger.warn("Could not open an approval's confirmation window", {
          requestId: request.id,
          error,
        });
        await say(
          `I could not open the window to confirm request ${request.id}; click Approve again. Nothing was changed.`,
        );
      }
    };
    const recording = record(deps, {
      requestId: parsed.data,
      actor: { userId: body.user.id, teamId },
      ...(body.channel?.id ? { channelId: body.channel.id } : {}),
      verdict,
    });
    // Slack wants the ack within 3 s: a vote that takes longer (a slow user-group lookup, a slow
    // store) is still recorded, only not before the ack; the person is told it is not taken yet,
    // and then whether it was.
    const inTime = await beforeAckDue(context, recording);
    // Logged before the ack: an operator (or a test) reading the log after a crash knows which
    // clicks were answered before their vote was kept.
    if (!inTime)
      deps.logger.warn("Storing a vote outlasted the ack's deadline; acknowledged it first", {
        requestId: parsed.data,
      });
    await ackOnce();
    if (!inTime) await say(STILL_SAVING_VOTE);
    try {
      await say(await (await recording).carryOut());
    } catch (error) {
      // Where the policy wants approvals confirmed, Approve opens the window showing the preview
      // (the decision read the request once, and recorded nothing); the window's own Approve is
      // the vote (handleStepUpSubmit).
      if (error instanceof ConfirmationNeeded) {
        await openConfirmation(error.request);
        return;
      }
      const failure = describeFailure(deps, error);
      // The Home tab words it once: a refusal's own plain text, or the reference of a failure.
      if (fromHome) await say(error instanceof UserError ? error.message : failure.text);
      else
        await respond({
          response_type: "ephemeral",
          replace_original: false,
          text: failure.text,
          blocks: failure.blocks,
        });
    }
  };
}

type ViewArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

/**
 * The step-up window's Approve: the vote is recorded (the request's id is all the window carries)
 * before the submission is acknowledged, which closes the window; a refusal replaces it with why.
 */
export function handleStepUpSubmit(deps: ApprovalDeps) {
  return async function stepUpSubmit({ ack, body, view }: ViewArgs): Promise<void> {
    const parsed = requestIdSchema.safeParse(view.private_metadata);
    const teamId = body.team?.id ?? body.user.team_id;
    if (!parsed.success || !teamId) {
      await ack({
        response_action: "update",
        view: stepUpRefusedView("This window does not point at a request I know. Nothing was changed."),
      });
      return;
    }
    let recorded: Awaited<ReturnType<typeof recordDecision>>;
    try {
      recorded = await recordDecision(deps, {
        requestId: parsed.data,
        actor: { userId: body.user.id, teamId },
        verdict: "approve",
        confirmed: true,
      });
    } catch (error) {
      const why = error instanceof UserError ? error.message : describeFailure(deps, error).text;
      await ack({ response_action: "update", view: stepUpRefusedView(why) });
      return;
    }
    await ack();
    try {
      await recorded.carryOut();
    } catch (error) {
      deps.logger.error(
        "An approval confirmed in its window could not be carried out; the sweep retries it",
        {
          requestId: parsed.data,
          error,
        },
      );
    }
  };
}
