import { WebClient } from "@slack/web-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSlackGroupLookup } from "../../src/slack/slack-group-lookup.js";
import { type FakeSlack, startFakeSlack } from "../support/fake-slack.js";

let fake: FakeSlack;
let client: WebClient;

beforeAll(async () => {
  fake = await startFakeSlack();
  client = new WebClient("xoxb-test", { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } });
});
afterAll(async () => {
  await fake.close();
});

describe("user groups from Slack", () => {
  it("reads a group's members once and keeps them for a minute", async () => {
    fake.setUserGroup("SSRE", ["U1", "U2"]);
    let now = 0;
    const membersOf = createSlackGroupLookup(client, () => now);

    expect(await membersOf("SSRE")).toEqual(["U1", "U2"]);
    expect(await membersOf("SSRE")).toEqual(["U1", "U2"]);
    expect(fake.callsTo("usergroups.users.list")).toHaveLength(1);

    now += 61_000;
    fake.setUserGroup("SSRE", ["U1"]);
    expect(await membersOf("SSRE")).toEqual(["U1"]);
    expect(fake.callsTo("usergroups.users.list")).toHaveLength(2);
  });

  it("says what to check when Slack will not tell", async () => {
    const membersOf = createSlackGroupLookup(client, () => 0);
    await expect(membersOf("SMISSING")).rejects.toThrow(
      /could not read the members of user group SMISSING from Slack \(no_such_subteam\).*usergroups:read/,
    );
  });
});
