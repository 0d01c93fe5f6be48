import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RecordedCall } from "../support/fake-slack.js";
import { blockActionPayload, postEvent, postInteraction } from "../support/slack-signer.js";
import { requestIdIn } from "../support/slack-text.js";
import { SIGNING_SECRET, startTestBed, type TestBed } from "../support/test-bed.js";

let bed: TestBed;

beforeAll(async () => {
  bed = await startTestBed({ strict: { invalidationCompletesAfterMs: 300 } });
});
afterAll(async () => {
  bed?.strict.holdInvalidations(false);
  await bed?.close();
});

type View = {
  type: string;
  blocks: { type: string; text?: { text: string }; elements?: { action_id?: string; value?: string }[] }[];
};
const viewOf = (c: RecordedCall) => c.body.view as unknown as View;
const words = (view: View) => view.blocks.map((b) => b.text?.text ?? "").join("\n");
/** The first Home tab published for `user` after the first `after` publishes. */
const homeFor = (user: string, after = 0) =>
  bed.fake.waitFor(
    (all) =>
      all
        .filter((c) => c.method === "views.publish")
        .slice(after)
        .find((c) => c.body.user_id === user),
    { description: `a Home tab for ${user}` },
  );

describe("the Home tab", () => {
  it("shows work in flight, the requests the viewer may approve with buttons, and recent activity", async () => {
    bed.strict.holdInvalidations(true);
    await bed.command("purge web /home.html", { channelId: "CHOME", userId: "UALICE" });
    await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => b.channel === "CHOME" && /InProgress/.test(String(b.text)),
    );
    // One tenant's purge is shown as the tenant's.
    bed.strict.addTenant(bed.web.id, { name: "acme", domains: ["acme.example.com"] });
    await bed.command("purge web/acme /home.html", { channelId: "CHOME", userId: "UALICE" });
    await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => b.channel === "CHOME" && /web\/acme.*InProgress/.test(String(b.text)),
    );
    await bed.command("purge web /img/*", { channelId: "CHOME", userId: "UALICE" });
    const request = await bed.fake.waitForCall("chat.postMessage", (b) =>
      /Pending approval/.test(String(b.text)),
    );
    const requestId = requestIdIn(String(request.body.text));

    const opened = await postEvent(bed.bot.url, SIGNING_SECRET, {
      type: "app_home_opened",
      user: "UBOB",
      channel: "DBOB",
      tab: "home",
    });

    expect(opened.status).toBe(200);
    const view = viewOf(await homeFor("UBOB"));
    expect(view.type).toBe("home");
    expect(words(view)).toMatch(new RegExp(`\\*\`${requestId}\`\\* · <@UALICE> asks to purge`));
    const buttons = view.blocks.filter((b) => b.type === "actions").flatMap((b) => b.elements ?? []);
    expect(buttons).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action_id: "approval_approve", value: requestId }),
        expect.objectContaining({ action_id: "approval_reject", value: requestId }),
      ]),
    );
    expect(words(view)).toMatch(/:broom: `web` · purge of 1 path by <@UALICE> · InProgress .*\|thread>/);
    expect(words(view)).toMatch(
      /:broom: `web\/acme` · purge of 1 path by <@UALICE> · InProgress .*\|thread>/,
    );
    expect(words(view)).toMatch(/approval requested · <@UALICE>/);
  });

  it("shows the requester no buttons for their own request", async () => {
    const before = bed.fake.callsTo("views.publish").length;
    await postEvent(bed.bot.url, SIGNING_SECRET, {
      type: "app_home_opened",
      user: "UALICE",
      channel: "DALICE",
      tab: "home",
    });
    const view = viewOf(await homeFor("UALICE", before));
    expect(view.blocks.filter((b) => b.type === "actions")).toEqual([]);
    expect(words(view) + view.blocks.map((b) => JSON.stringify(b)).join("")).toMatch(/cdn cancel R/);
  });

  it("takes an approval from its buttons and draws itself again with the outcome", async () => {
    const pending = bed.fake
      .callsTo("chat.postMessage")
      .find((c) => /Pending approval/.test(String(c.body.text)))!;
    const requestId = requestIdIn(String(pending.body.text));
    const before = bed.fake.callsTo("views.publish").length;
    const click = {
      ...blockActionPayload({
        actionId: "approval_approve",
        value: requestId,
        userId: "UBOB",
        messageTs: "",
        responseUrl: "",
      }),
      container: { type: "view", view_id: "VHOME" },
      view: { id: "VHOME", type: "home", blocks: [] },
      channel: undefined,
      message: undefined,
      response_url: undefined,
    };

    const res = await postInteraction(bed.bot.url, SIGNING_SECRET, click);

    expect(res.status).toBe(200);
    const view = viewOf(await homeFor("UBOB", before));
    expect(words(view)).toContain(
      `You approved request ${requestId}; I am carrying it out, and its thread says how it goes.`,
    );
  });
});
