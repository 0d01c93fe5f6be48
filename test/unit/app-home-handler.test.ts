import { describe, expect, it, vi } from "vitest";
import { type AppHomeDeps, handleHomeOpened } from "../../handlers/app-home.js";
import type { ApprovalDeps } from "../../src/approvals/approval-service.js";
import type { Logger } from "../../src/logger.js";
import { lowdbRecordStore } from "../../src/store/lowdb-record-store.js";
import { emptyStoreData } from "../../src/store/records.js";
import { StateStore } from "../../src/store/state-store.js";
import { aPurge } from "../support/fixtures.js";

// The Home tab's handler alone, with the event and a fake client as Bolt hands them over, on a real
// in-memory store: what the person who opened the tab sees, and what happens when Slack refuses.

const NOW = Date.UTC(2026, 11, 7, 9, 0, 0);

async function setup() {
  const records = lowdbRecordStore(StateStore.inMemory(emptyStoreData()));
  await records.commit(
    {
      writes: [
        {
          kind: "purge",
          op: "create",
          record: aPurge({ id: "P1", alias: "web", state: "in-progress", invalidationId: "I2XYZ" }),
        },
      ],
      // What a person typed reaches the audit log as it was typed: the tab shows it, never as markup.
      audit: [
        {
          type: "change.requested",
          summary: "comment set to <!channel> *deploy* <https://evil.example|docs>",
        },
      ],
    },
    NOW,
  );
  const warnings: unknown[] = [];
  const logger = { warn: (...args: unknown[]) => warnings.push(args) } as unknown as Logger;
  const deps: AppHomeDeps = {
    records,
    approvals: { records, clock: () => NOW } as unknown as ApprovalDeps,
    poster: { permalink: async (channel, ts) => `https://slack.example/archives/${channel}/p${ts}` },
    clock: () => NOW,
    logger,
  };
  const publish = vi.fn(async (_args: { user_id: string; view: { type: string; blocks: unknown[] } }) => ({
    ok: true,
  }));
  const open = (tab: "home" | "messages") =>
    handleHomeOpened(deps)({
      event: { type: "app_home_opened", user: "UALICE", channel: "D1", tab },
      body: { team_id: "T0001" },
      client: { views: { publish } },
    } as never);
  return { open, publish, warnings };
}

describe("the Home tab's handler", () => {
  it("publishes the tab to the person who opened it, with what is in flight and linked to its thread", async () => {
    const { open, publish } = await setup();
    await open("home");
    expect(publish).toHaveBeenCalledTimes(1);
    const { user_id, view } = publish.mock.calls[0]![0];
    expect(user_id).toBe("UALICE");
    expect(view.type).toBe("home");
    const shown = JSON.stringify(view.blocks);
    expect(shown).toContain("purge of 1 path by <@U0001> · InProgress (invalidation I2XYZ)");
    expect(shown).toContain("https://slack.example/archives/C0001/p1700000000.000100");
  });

  it("shows what people typed literally, never as a mention, a link or formatting", async () => {
    const { open, publish } = await setup();
    await open("home");
    const shown = JSON.stringify(publish.mock.calls[0]![0].view.blocks);
    expect(shown).not.toContain("<!channel>");
    expect(shown).not.toContain("<https://evil.example|docs>");
    expect(shown).toContain("&lt;!channel&gt;");
  });

  it("does nothing for the Messages tab", async () => {
    const { open, publish } = await setup();
    await open("messages");
    expect(publish).not.toHaveBeenCalled();
  });

  it("logs, and does not throw, when Slack refuses to publish the view", async () => {
    const { open, publish, warnings } = await setup();
    publish.mockRejectedValueOnce(Object.assign(new Error("An API error occurred: invalid_blocks"), {}));
    await expect(open("home")).resolves.toBeUndefined();
    expect(warnings).toEqual([
      ["Could not publish the Home tab", { user: "UALICE", error: expect.any(Error) }],
    ]);
  });
});
