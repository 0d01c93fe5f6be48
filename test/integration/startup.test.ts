import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runBotExpectingFailure, workDir } from "../support/bot-process.js";

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
});
