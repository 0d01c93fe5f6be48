import { randomUUID } from "node:crypto";
import type { AllMiddlewareArgs, App, SlackCommandMiddlewareArgs } from "@slack/bolt";
import { COMMAND_USAGE, parseCdnCommand, UsageError } from "../src/commands/parse-cdn-command.js";
import { type CommandDeps, prepareCdnCommand } from "../src/commands/run-cdn-command.js";
import { NotInChannelError, UserError } from "../src/errors.js";
import { notInChannelMessage } from "../src/messages/channel-messages.js";
import type { SlackMessage } from "../src/messages/format.js";
import { literalMessage, plainMessage } from "../src/messages/format.js";
import { helpMessage } from "../src/messages/help-messages.js";
import { StoreError } from "../src/store/state-store.js";
import { ackedEarly, beforeAckDue, markAckedEarly, STILL_SAVING } from "./ack-deadline.js";

type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

/** What must be durable before the ack, done now; the rest after (`prepareCdnCommand`). */
export type Prepare = typeof prepareCdnCommand;

export function register(app: App, deps: CommandDeps): void {
  app.command("/cdn", handleCdnCommand(deps));
}

/** An answer in the ack, which cannot be sent again: the classic blocks where a message has both. */
function ephemeral(message: SlackMessage) {
  return {
    response_type: "ephemeral" as const,
    text: message.text,
    blocks: message.plainBlocks ?? message.blocks,
  };
}

/**
 * Parse, make durable what the ack promises, ack within Slack's 3 seconds, then hand over; nothing
 * here waits on AWS or Slack before the ack (storing a purge is one write of the state). When the
 * store is too slow for the ack's deadline, the ack says so and promises nothing; the outcome (the
 * purge's thread, or why not) follows.
 */
export function handleCdnCommand(deps: CommandDeps, prepare: Prepare = prepareCdnCommand) {
  return async function cdnCommand({ command, ack, respond, context }: CommandArgs): Promise<void> {
    // An early ack (the replay claim was slow) has answered already: every answer is a reply then.
    const answer = async (message?: SlackMessage) => {
      if (!ackedEarly(context)) await ack(message ? ephemeral(message) : undefined);
      else if (message) await respond(ephemeral(message));
    };
    let parsed: ReturnType<typeof parseCdnCommand>;
    try {
      parsed = parseCdnCommand(command.text);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      await answer(helpMessage(COMMAND_USAGE, error.word, error.message));
      return;
    }
    if (parsed.verb === "help") {
      // Help needs nothing from AWS: answer inside the ack.
      await answer(helpMessage(COMMAND_USAGE, parsed.topic));
      return;
    }
    const ctx = {
      actor: { userId: command.user_id, teamId: command.team_id },
      channelId: command.channel_id,
    };
    const started = Date.now();
    let outcome = "ok";
    try {
      // What a "yes" promises is stored before the ack; a refusal here is the ack's own answer.
      const preparing = prepare(deps, parsed, ctx);
      let prepared = await beforeAckDue(context, preparing);
      if (!prepared) {
        outcome = "slow";
        deps.logger.warn("Saving a command outlasted the ack's deadline; acknowledged it first", {
          verb: parsed.verb,
        });
        // Said once: an early ack for a slow replay claim has said it already.
        if (!ackedEarly(context)) await answer(literalMessage(STILL_SAVING));
        markAckedEarly(context);
        prepared = await preparing.then(
          (value) => ({ ok: true as const, value }),
          (error: unknown) => ({ ok: false as const, error }),
        );
      }
      if (!prepared.ok) {
        outcome = prepared.error instanceof UserError ? "refused" : "failed";
        await answer(describeFailure(deps, prepared.error));
        return;
      }
      await answer();
      try {
        const reply = await prepared.value();
        // A reply may hold a native table: sent with what the workspace takes.
        if (reply)
          await deps.poster.withBlocks(reply, (blocks) =>
            respond({ response_type: "ephemeral", text: reply.text, blocks }).catch((error: unknown) => {
              // Slack refuses a reply's blocks with a 400, whose body Bolt does not pass on: the
              // only thing a 400 can mean for a reply the bot made is blocks this workspace refuses.
              if ((error as { statusCode?: number }).statusCode === 400)
                throw Object.assign(new Error("response_url refused the reply"), {
                  data: { error: "invalid_blocks" },
                });
              throw error;
            }),
          );
      } catch (error) {
        outcome = error instanceof UserError ? "refused" : "failed";
        await respond(ephemeral(describeFailure(deps, error)));
      }
    } finally {
      // One line per command that ran: how long it took and how it ended, for operators (and tests).
      deps.logger.debug("Command done", {
        verb: parsed.verb,
        channelId: ctx.channelId,
        outcome,
        ms: Date.now() - started,
      });
    }
  };
}

export function describeFailure(deps: Pick<CommandDeps, "logger">, error: unknown): SlackMessage {
  if (error instanceof NotInChannelError) return notInChannelMessage(error);
  // A UserError's message is plain text that may quote what was typed: shown literally.
  if (error instanceof UserError) return literalMessage(error.message);
  const reference = randomUUID().slice(0, 8);
  deps.logger.error("Command failed unexpectedly", { reference, error });
  if (error instanceof StoreError) {
    // Nothing was saved, and what is not saved is never done: say exactly that.
    return literalMessage(
      `I could not save this request to my state file, so I did nothing with it (reference ${reference}). An operator must check the bot's data directory; try again once it is fixed.`,
    );
  }
  return plainMessage(
    `Something went wrong on my side (reference \`${reference}\`). Nothing more was done; an operator can look the reference up in the bot's log.`,
  );
}
