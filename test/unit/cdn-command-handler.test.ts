import type { Context, SlashCommand } from "@slack/bolt";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ACK_WITHIN_MS, STILL_SAVING, stampArrival } from "../../handlers/ack-deadline.js";
import { handleCdnCommand, type Prepare } from "../../handlers/cdn-command.js";
import type { CommandDeps } from "../../src/commands/run-cdn-command.js";
import { UserError } from "../../src/errors.js";
import { silentLogger } from "../../src/logger.js";

// The `/cdn` handler alone, with a fake ack and respond as Bolt hands them over (as Slack's Bolt
// samples test listeners), and the work before the ack replaced: what Slack and the person hear,
// and when.

type Answer = { response_type?: string; text?: string } | undefined;

function slash(text: string): SlashCommand {
  return {
    text,
    user_id: "UALICE",
    team_id: "T1",
    channel_id: "CDEPLOYS",
    command: "/cdn",
    response_url: "https://hooks.slack.test/r/1",
    trigger_id: "t1",
  } as SlashCommand;
}

function harness(prepare: Prepare, context: Context = {} as Context) {
  const acks: Answer[] = [];
  const replies: Answer[] = [];
  const deps = {
    logger: silentLogger,
    poster: {
      withBlocks: (message: { blocks: unknown }, send: (b: unknown) => unknown) => send(message.blocks),
    },
  } as unknown as CommandDeps;
  const handler = handleCdnCommand(deps, prepare);
  const run = (text: string) =>
    handler({
      command: slash(text),
      ack: async (answer?: Answer) => void acks.push(answer),
      respond: async (answer: Answer) => void replies.push(answer),
      context,
    } as never);
  return { acks, replies, run, context };
}

const never: Prepare = () => {
  throw new Error("nothing may be prepared for this command");
};

describe("the /cdn handler", () => {
  it("answers a malformed command in the ack itself, and prepares nothing", async () => {
    const { acks, replies, run } = harness(never);
    await run("purge");
    expect(acks).toHaveLength(1);
    expect(acks[0]).toMatchObject({ response_type: "ephemeral" });
    expect(acks[0]?.text).toMatch(/purge/);
    expect(replies).toEqual([]);
  });

  it("refuses in the ack, literally, what the work before it refuses", async () => {
    const { acks, replies, run } = harness(async () => {
      throw new UserError("`nosuch` is not a distribution I know. *bold*");
    });
    await run("purge nosuch /index.html");
    expect(acks).toEqual([
      expect.objectContaining({
        response_type: "ephemeral",
        text: "`nosuch` is not a distribution I know. *bold*",
      }),
    ]);
    expect(replies).toEqual([]);
  });

  it("acks empty once the work before it is done, then replies what the rest says", async () => {
    const order: string[] = [];
    const { acks, replies, run } = harness(async () => {
      order.push("prepared");
      return async () => {
        order.push("rest");
        return { text: "Request R1 waits for approval.", blocks: [] };
      };
    });
    await run("purge web /index.html");
    expect(acks).toEqual([undefined]);
    expect(order).toEqual(["prepared", "rest"]);
    expect(replies).toEqual([expect.objectContaining({ text: "Request R1 waits for approval." })]);
  });

  describe("when saving takes longer than Slack waits", () => {
    beforeEach(() => {
      vi.useFakeTimers();
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    it("acks at the deadline with words that promise nothing, then tells the outcome once", async () => {
      let saved!: () => void;
      const { acks, replies, run, context } = harness(
        () =>
          new Promise((resolve) => {
            saved = () => resolve(async () => ({ text: "Purge queued.", blocks: [] }));
          }),
      );
      stampArrival(context);
      const handled = run("purge web /index.html");
      await vi.advanceTimersByTimeAsync(ACK_WITHIN_MS - 1);
      expect(acks).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      expect(acks).toEqual([expect.objectContaining({ response_type: "ephemeral", text: STILL_SAVING })]);
      saved();
      await handled;
      // Acked once; the outcome is a reply, and "still saving" is not said twice.
      expect(acks).toHaveLength(1);
      expect(replies).toEqual([expect.objectContaining({ text: "Purge queued." })]);
    });

    it("says why not in a reply when the slow save then fails", async () => {
      const { acks, replies, run, context } = harness(async () => {
        await new Promise((resolve) => setTimeout(resolve, ACK_WITHIN_MS + 1_000));
        throw new UserError("The state store refused the write. Nothing was done.");
      });
      stampArrival(context);
      const handled = run("purge web /index.html");
      await vi.advanceTimersByTimeAsync(ACK_WITHIN_MS + 1_000);
      await handled;
      expect(acks).toEqual([expect.objectContaining({ text: STILL_SAVING })]);
      expect(replies).toEqual([
        expect.objectContaining({ text: "The state store refused the write. Nothing was done." }),
      ]);
    });
  });

  it("never acks twice: when the replay claim was acked early, every answer is a reply", async () => {
    const { acks, replies, run } = harness(never, { ackedEarly: true } as unknown as Context);
    await run("help purge");
    expect(acks).toEqual([]);
    expect(replies).toHaveLength(1);
    expect(replies[0]?.text).toMatch(/purge/);
  });
});
