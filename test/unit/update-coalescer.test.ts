import { describe, expect, it } from "vitest";
import type { SlackMessage } from "../../src/messages/format.js";
import type { SlackPoster } from "../../src/slack/slack-poster.js";
import { coalesceUpdates } from "../../src/slack/update-coalescer.js";

function recordingPoster(fail = false) {
  const updates: { channel: string; ts: string; text: string }[] = [];
  const poster: SlackPoster = {
    post: async () => ({ ts: "1.1" }),
    upload: async () => {},
    permalink: async () => undefined,
    postEphemeral: async () => {},
    withBlocks: (message, send) => send(message.blocks),
    findMarked: async () => undefined,
    update: async (channel, ts, message) => {
      if (fail) throw new Error("message_not_found");
      updates.push({ channel, ts, text: message.text });
    },
  };
  return { poster, updates };
}

const msg = (text: string): SlackMessage => ({ text, blocks: [] });

describe("coalesceUpdates", () => {
  it("turns a burst of updates to one message into one chat.update with the latest content", async () => {
    const { poster, updates } = recordingPoster();
    const coalesced = coalesceUpdates(poster, 20);

    await Promise.all([
      coalesced.update("C1", "1.1", msg("Requested")),
      coalesced.update("C1", "1.1", msg("InProgress")),
      coalesced.update("C1", "1.1", msg("Completed")),
      coalesced.update("C1", "2.2", msg("other thread")),
    ]);

    expect(updates).toEqual([
      { channel: "C1", ts: "1.1", text: "Completed" },
      { channel: "C1", ts: "2.2", text: "other thread" },
    ]);
  });

  it("sends a later update after the burst has gone out", async () => {
    const { poster, updates } = recordingPoster();
    const coalesced = coalesceUpdates(poster, 5);
    await coalesced.update("C1", "1.1", msg("first"));
    await coalesced.update("C1", "1.1", msg("second"));
    expect(updates.map((u) => u.text)).toEqual(["first", "second"]);
  });

  it("tells every caller in the burst when Slack refuses", async () => {
    const { poster } = recordingPoster(true);
    const coalesced = coalesceUpdates(poster, 5);
    const results = await Promise.allSettled([
      coalesced.update("C1", "1.1", msg("a")),
      coalesced.update("C1", "1.1", msg("b")),
    ]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
  });
});
