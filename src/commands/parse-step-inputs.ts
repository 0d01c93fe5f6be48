import type { StepInput } from "../store/records.js";
import { quote } from "../text/plain-text.js";
import { parseCdnCommand, UsageError } from "./parse-cdn-command.js";

/** The custom steps cdnbot declares in manifest.yml under `functions`, by callback id. */
export const STEP_CALLBACK_IDS = [
  "purge_paths",
  "wait_until_purged",
  "wait_until_deployed",
  "request_change",
] as const;
export type StepCallbackId = (typeof STEP_CALLBACK_IDS)[number];

/** A step's inputs refused, in words for the workflow's people (Slack shows them the error). */
export class StepInputError extends Error {}

const USER = /^[UW][A-Z0-9]{2,}$/;
const CHANNEL = /^[CG][A-Z0-9]{2,}$/;

function text(inputs: Record<string, unknown>, name: string, title: string): string {
  const value = inputs[name];
  if (typeof value !== "string" || value.trim() === "") throw new StepInputError(`The step needs ${title}.`);
  return value.trim();
}

/**
 * A step's inputs as the bot reads them, checked as a command's words are: who runs it (the
 * workflow's runner, a user id), where its thread goes, and what it asks.
 */
export function parseStepInputs(
  callbackId: StepCallbackId,
  inputs: Record<string, unknown>,
): { input: StepInput; userId?: string; channelId?: string } {
  const who = () => {
    const userId = text(inputs, "user", "the person it runs as (“Person who used this workflow”)");
    if (!USER.test(userId)) throw new StepInputError(`${quote(userId.slice(0, 40))} is not a Slack user.`);
    const channelId = text(inputs, "channel", "a channel for the thread");
    if (!CHANNEL.test(channelId))
      throw new StepInputError(`${quote(channelId.slice(0, 40))} is not a channel.`);
    return { userId, channelId };
  };
  switch (callbackId) {
    case "purge_paths": {
      const distribution = text(inputs, "distribution", "a distribution");
      const paths = text(inputs, "paths", "the paths or tags to purge")
        .split(/[\s,]+/)
        .filter(Boolean);
      return { input: { kind: "purge", distribution, paths }, ...who() };
    }
    case "wait_until_purged":
      return {
        input: { kind: "wait-purged", purgeId: text(inputs, "purge_id", "a purge id").toUpperCase() },
      };
    case "wait_until_deployed":
      return {
        input: { kind: "wait-deployed", changeId: text(inputs, "change_id", "a change id").toUpperCase() },
      };
    case "request_change": {
      const words = text(inputs, "change", "the change, as after /cdn (e.g. ttl web default=300)");
      let command: ReturnType<typeof parseCdnCommand>;
      try {
        command = parseCdnCommand(words);
      } catch (error) {
        if (error instanceof UsageError) throw new StepInputError(error.message);
        throw error;
      }
      if (command.verb !== "change")
        throw new StepInputError(
          `${quote(words.slice(0, 80))} is not a change: give the words of a change command, e.g. ${quote("ttl web default=300")}.`,
        );
      if (command.breakGlass || command.staged)
        throw new StepInputError(
          "A workflow step asks for a change and waits for its approval: no --break-glass, no --staged.",
        );
      const reason =
        typeof inputs.reason === "string" && inputs.reason.trim() ? inputs.reason.trim() : command.reason;
      return {
        input: {
          kind: "change",
          distribution: command.distribution,
          spec: command.spec,
          ...(reason ? { reason: reason.slice(0, 300) } : {}),
        },
        ...who(),
      };
    }
  }
}
