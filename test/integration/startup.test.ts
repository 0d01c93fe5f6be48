import { writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { freePort, runBotExpectingFailure, workDir } from "../support/bot-process.js";
import { startFakeSlack } from "../support/fake-slack.js";

const secrets = { SLACK_BOT_TOKEN: "xoxb-secret-value-123", SLACK_SIGNING_SECRET: "s3cret" };

describe("starting the bot", () => {
  it("refuses an invalid config, listing every problem with its key path", async () => {
    const dir = await workDir();
    const config = join(dir, "cdnbot.yml");
    await writeFile(config, "distributions:\n  web:\n    id: not-an-id\n  shop: {}\ncolour: blue\n");

    const { code, output } = await runBotExpectingFailure({
      ...secrets,
      CDNBOT_CONFIG: config,
      CDNBOT_DATA: join(dir, "d.json"),
    });

    expect(code).toBe(1);
    expect(output).toContain(`Invalid config file ${config}`);
    expect(output).toMatch(/distributions\.web\.id: must be a CloudFront distribution id/);
    expect(output).toMatch(/distributions\.shop\.id: /);
    expect(output).toMatch(/colour/);
    expect(output).not.toContain("at ");
  });

  it("names a missing config file and the variable that points at it", async () => {
    const dir = await workDir();
    const { code, output } = await runBotExpectingFailure({
      ...secrets,
      CDNBOT_CONFIG: join(dir, "missing.yml"),
    });
    expect(code).toBe(1);
    expect(output).toMatch(/missing\.yml[\s\S]*does not exist[\s\S]*CDNBOT_CONFIG/);
  });

  it("names missing secrets without printing any", async () => {
    const { code, output } = await runBotExpectingFailure({ SLACK_SIGNING_SECRET: "s3cret" });
    expect(code).toBe(1);
    expect(output).toMatch(/SLACK_BOT_TOKEN: is required/);
    expect(output).not.toContain("s3cret");
  });

  it("refuses a broken state file instead of overwriting it", async () => {
    const dir = await workDir();
    const config = join(dir, "cdnbot.yml");
    const data = join(dir, "state.json");
    await writeFile(config, "distributions:\n  web:\n    id: E2EXAMPLE123\n");
    await writeFile(data, "{ half a file");
    const { code, output } = await runBotExpectingFailure({
      ...secrets,
      CDNBOT_CONFIG: config,
      CDNBOT_DATA: data,
    });
    expect(code).toBe(1);
    expect(output).toMatch(/state\.json is not valid JSON/);
  });

  async function withConfig(env: Record<string, string> = {}) {
    const dir = await workDir();
    const config = join(dir, "cdnbot.yml");
    await writeFile(config, "distributions:\n  web:\n    id: E2EXAMPLE123\n");
    return { ...secrets, CDNBOT_CONFIG: config, CDNBOT_DATA: join(dir, "state.json"), ...env };
  }

  /** One sentence, a non-zero exit, no stack trace and no secret. */
  function expectOneSentence(code: number | null, output: string, sentence: RegExp) {
    expect(code).toBe(1);
    expect(output).toMatch(sentence);
    expect(output).not.toMatch(/^\s+at /m);
    expect(output).not.toContain("cdnbot is listening");
    expect(output).not.toContain(secrets.SLACK_BOT_TOKEN);
  }

  it("names the token when Slack refuses it, before listening", async () => {
    const fake = await startFakeSlack();
    fake.failNext("auth.test", "invalid_auth");
    try {
      const { code, output } = await runBotExpectingFailure(
        await withConfig({ SLACK_API_URL: fake.apiUrl, PORT: String(await freePort()) }),
      );
      expectOneSentence(code, output, /cdnbot cannot start: Slack refused SLACK_BOT_TOKEN \(invalid_auth\)/);
    } finally {
      await fake.close();
    }
  });

  it("needs the signing secret in HTTP mode only, and says where to find it", async () => {
    const { code, output } = await runBotExpectingFailure({ SLACK_BOT_TOKEN: "xoxb-secret-value-123" });
    expect(code).toBe(1);
    expect(output).toMatch(
      /SLACK_SIGNING_SECRET: is required in HTTP mode: .*or set SLACK_APP_TOKEN for Socket Mode/,
    );
  });

  it("names the app-level token when Slack refuses it in Socket Mode", async () => {
    const fake = await startFakeSlack(); // no Socket Mode URL: apps.connections.open says invalid_auth
    try {
      const { code, output } = await runBotExpectingFailure(
        await withConfig({
          SLACK_BOT_TOKEN: "xoxb-secret-value-123",
          SLACK_SIGNING_SECRET: "",
          SLACK_APP_TOKEN: "xapp-1-A1-refused",
          SLACK_API_URL: fake.apiUrl,
          PORT: String(await freePort()),
        }),
      );
      expectOneSentence(code, output, /cdnbot cannot start: Slack refused SLACK_APP_TOKEN \(invalid_auth\)/);
      expect(output).not.toContain("xapp-1-A1-refused");
    } finally {
      await fake.close();
    }
  });

  it("says plainly when Slack cannot be reached", async () => {
    const closed = await freePort();
    const { code, output } = await runBotExpectingFailure(
      await withConfig({ SLACK_API_URL: `http://127.0.0.1:${closed}/api/`, PORT: String(await freePort()) }),
    );
    expectOneSentence(
      code,
      output,
      /cdnbot cannot start: Cannot reach Slack's Web API at http:\/\/127\.0\.0\.1:\d+\/api\//,
    );
  });

  it("names the port when it is in use", async () => {
    const fake = await startFakeSlack();
    const port = await freePort();
    const squatter = createServer().listen(port, "0.0.0.0");
    await new Promise((r) => squatter.once("listening", r));
    try {
      const { code, output } = await runBotExpectingFailure(
        await withConfig({ SLACK_API_URL: fake.apiUrl, PORT: String(port) }),
      );
      expectOneSentence(code, output, new RegExp(`cdnbot cannot start: Port ${port} is already in use`));
    } finally {
      squatter.close();
      await fake.close();
    }
  });
});
