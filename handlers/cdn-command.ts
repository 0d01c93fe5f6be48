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

type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

export function register(app: App, deps: CommandDeps): void {
  app.command("/cdn", handleCdnCommand(deps));
}

function ephemeral(message: SlackMessage) {
  return { response_type: "ephemeral" as const, text: message.text, blocks: message.blocks };
}

/**
 * Parse, make durable what the ack promises, ack within Slack's 3 seconds, then hand over; nothing
 * here waits on AWS or Slack before the ack (storing a purge is one write of the state).
 */
export function handleCdnCommand(deps: CommandDeps) {
  return async function cdnCommand({ command, ack, respond }: CommandArgs): Promise<void> {
    let parsed: ReturnType<typeof parseCdnCommand>;
    try {
      parsed = parseCdnCommand(command.text);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      await ack(ephemeral(helpMessage(COMMAND_USAGE, error.word, error.message)));
      return;
    }
    if (parsed.verb === "help") {
      // Help needs nothing from AWS: answer inside the ack.
      await ack(ephemeral(helpMessage(COMMAND_USAGE, parsed.topic)));
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
      let rest: Awaited<ReturnType<typeof prepareCdnCommand>>;
      try {
        rest = await prepareCdnCommand(deps, parsed, ctx);
      } catch (error) {
        outcome = error instanceof UserError ? "refused" : "failed";
        await ack(ephemeral(describeFailure(deps, error)));
        return;
      }
      await ack();
      try {
        const reply = await rest();
        if (reply) await respond(ephemeral(reply));
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
