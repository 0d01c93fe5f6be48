import { verifySlackRequest } from "@slack/bolt";
import { WebClient } from "@slack/web-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeSlack, startFakeSlack } from "../support/fake-slack.js";
import { signSlackRequest, slashCommandBody } from "../support/slack-signer.js";

// The fake is only worth something if the real Web API client is happy with it.
let fake: FakeSlack;
let client: WebClient;

beforeAll(async () => {
  fake = await startFakeSlack();
  client = new WebClient("xoxb-test", {
    slackApiUrl: fake.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
  });
});
afterAll(async () => {
  await fake.close();
});

describe("the fake Slack Web API", () => {
  it("records posts, thread replies and updates with their token and blocks", async () => {
    const posted = await client.chat.postMessage({
      channel: "C1",
      text: "hello",
      blocks: [{ type: "divider" }],
    });
    await client.chat.postMessage({ channel: "C1", text: "reply", thread_ts: posted.ts! });
    await client.chat.update({ channel: "C1", ts: posted.ts!, text: "edited" });

    expect(fake.callsTo("chat.postMessage").map((c) => [c.body.text, c.body.thread_ts, c.token])).toEqual([
      ["hello", undefined, "xoxb-test"],
      ["reply", posted.ts, "xoxb-test"],
    ]);
    expect(fake.callsTo("chat.postMessage")[0]?.body.blocks).toEqual([{ type: "divider" }]);
    await expect(client.chat.update({ channel: "C1", ts: "1.2", text: "x" })).rejects.toMatchObject({
      data: { error: "message_not_found" },
    });
  });

  it("answers injected errors, rate limits and missing channel membership as Slack does", async () => {
    fake.failNext("chat.postMessage", "channel_not_found");
    await expect(client.chat.postMessage({ channel: "C2", text: "x" })).rejects.toMatchObject({
      data: { error: "channel_not_found" },
    });
    fake.rateLimitNext("chat.postMessage", 3);
    await expect(client.chat.postMessage({ channel: "C2", text: "x" })).rejects.toMatchObject({
      code: "slack_webapi_rate_limited_error",
      retryAfter: 3,
    });
    fake.setNotInChannel("C3");
    await expect(client.chat.postMessage({ channel: "C3", text: "x" })).rejects.toMatchObject({
      data: { error: "not_in_channel" },
    });
  });

  it("takes a file upload in Slack's three steps and keeps the bytes", async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    await client.filesUploadV2({ channel_id: "C1", file: png, filename: "chart.png", title: "Chart" });
    const [upload] = fake.callsTo("file_upload");
    expect(fake.uploadedFiles.get(String(upload?.body.file_id))).toEqual(png);
    expect(fake.callsTo("files.completeUploadExternal")).toHaveLength(1);
  });

  it("records response_url posts", async () => {
    const url = fake.responseUrl("abc");
    await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"text":"hi","response_type":"ephemeral"}',
    });
    expect(fake.callsTo("response_url").at(-1)?.body).toEqual({ text: "hi", response_type: "ephemeral" });
  });
});

describe("the request signer", () => {
  it("signs requests that Bolt's own verification accepts, and only with the right secret", () => {
    const body = slashCommandBody({ text: "help", responseUrl: "http://x" });
    const headers = signSlackRequest("secret", body);
    const request = {
      body,
      headers: {
        "x-slack-signature": headers["x-slack-signature"],
        "x-slack-request-timestamp": Number(headers["x-slack-request-timestamp"]),
      },
    };
    expect(() => verifySlackRequest({ signingSecret: "secret", ...request })).not.toThrow();
    expect(() => verifySlackRequest({ signingSecret: "other", ...request })).toThrow(/signature mismatch/);
  });
});
