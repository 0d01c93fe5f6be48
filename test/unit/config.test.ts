import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { configTableMarkdown } from "../../src/config/config-docs.js";
import { readEnv } from "../../src/config/env.js";
import { ConfigError, loadConfig, parseConfig } from "../../src/config/load-config.js";
import { DistributionDirectory } from "../../src/directory/distribution-directory.js";

function problemsOf(text: string): string[] {
  try {
    parseConfig(text, "cdnbot.yml");
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected the config to be refused");
}

describe("config file", () => {
  it("accepts the smallest config", () => {
    const config = parseConfig("distributions:\n  web:\n    id: E2EXAMPLE123\n", "cdnbot.yml");
    expect(config.distributions.web?.id).toBe("E2EXAMPLE123");
  });

  it("reports every problem with its key path", () => {
    const problems = problemsOf(
      [
        "distributions:",
        "  web:",
        "    id: e2-lower",
        "  shop:",
        "    idd: E2EXAMPLE456",
        "colour: blue",
      ].join("\n"),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^distributions\.web\.id: must be a CloudFront distribution id/),
        expect.stringMatching(/^distributions\.shop: .*idd/),
        expect.stringMatching(/^distributions\.shop\.id: /),
        expect.stringMatching(/colour/),
      ]),
    );
  });

  it("refuses one distribution under two aliases", () => {
    const problems = problemsOf("distributions:\n  a:\n    id: E2EXAMPLE123\n  b:\n    id: E2EXAMPLE123\n");
    expect(problems).toEqual([
      expect.stringMatching(/^distributions\.b\.id: E2EXAMPLE123 is already configured as `a`/),
    ]);
  });

  it("takes a role to assume for a distribution in another account, and refuses a malformed one", () => {
    const config = parseConfig(
      "distributions:\n  far:\n    id: E2EXAMPLE123\n    roleArn: arn:aws:iam::222233334444:role/cdnbot\n    externalId: k-7f3a\n",
      "cdnbot.yml",
    );
    const directory = new DistributionDirectory(config);
    expect(directory.roleOf("E2EXAMPLE123")).toEqual({
      roleArn: "arn:aws:iam::222233334444:role/cdnbot",
      externalId: "k-7f3a",
    });
    expect(directory.accountOf("E2EXAMPLE123")).toBe("222233334444");
    expect(directory.roleOf("E9OTHER12345")).toBeUndefined();
    expect(directory.accountOf("E9OTHER12345")).toBe("own");

    expect(problemsOf("distributions:\n  far:\n    id: E2EXAMPLE123\n    roleArn: role/cdnbot\n")).toEqual([
      expect.stringMatching(/^distributions\.far\.roleArn: must be an IAM role ARN such as arn:aws:iam::/),
    ]);
    expect(problemsOf("distributions:\n  far:\n    id: E2EXAMPLE123\n    externalId: k-7f3a\n")).toEqual([
      "distributions.far.externalId: an external id goes with a `roleArn`; name the role to assume",
    ]);
  });

  it("takes a DynamoDB table for the state, and refuses a name DynamoDB would", () => {
    const config = parseConfig(
      "store:\n  dynamodb:\n    table: cdnbot-prod\ndistributions:\n  web:\n    id: E2EXAMPLE123\n",
      "cdnbot.yml",
    );
    expect(config.store?.dynamodb?.table).toBe("cdnbot-prod");
    expect(
      problemsOf("store:\n  dynamodb:\n    table: my table!\ndistributions:\n  web:\n    id: E2EXAMPLE123\n"),
    ).toEqual([expect.stringMatching(/^store\.dynamodb\.table: must be a DynamoDB table name/)]);
  });

  it("explains broken YAML, an empty file and no distributions", () => {
    expect(problemsOf("distributions: [\n")[0]).toMatch(/not valid YAML/);
    expect(problemsOf("")[0]).toMatch(/the file is empty/);
    expect(problemsOf("distributions: {}\n")[0]).toMatch(/^distributions: name at least one distribution/);
  });

  it("says what to do when the file is missing", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cdnbot-config-"));
    await expect(loadConfig(join(dir, "nope.yml"))).rejects.toThrow(/does not exist.*CDNBOT_CONFIG/s);
    const file = join(dir, "ok.yml");
    await writeFile(file, "distributions:\n  web:\n    id: E2EXAMPLE123\n");
    await expect(loadConfig(file)).resolves.toMatchObject({ distributions: { web: { id: "E2EXAMPLE123" } } });
  });
});

describe("environment", () => {
  const base = { SLACK_BOT_TOKEN: "xoxb-1", SLACK_SIGNING_SECRET: "s" };

  it("fills the documented defaults", () => {
    expect(readEnv(base)).toMatchObject({
      PORT: 3000,
      CDNBOT_CONFIG: "cdnbot.yml",
      CDNBOT_DATA: "data/cdnbot.json",
      CDNBOT_POLL_MS: 20_000,
    });
  });

  it("names each missing secret without echoing any value", () => {
    expect(() => readEnv({})).toThrow(/SLACK_BOT_TOKEN: is required[\s\S]*SLACK_SIGNING_SECRET: is required/);
    expect(() => readEnv({ ...base, CDNBOT_POLL_MS: "soon" })).toThrow(/CDNBOT_POLL_MS/);
  });

  it("refuses a token that is not a bot token, says which kind it is and where it belongs, never echoing it", () => {
    const refusal = (token: string) => {
      try {
        readEnv({ ...base, SLACK_BOT_TOKEN: token });
      } catch (error) {
        return (error as Error).message;
      }
      return "accepted";
    };
    expect(refusal("xapp-1-A1-secret")).toMatch(
      /SLACK_BOT_TOKEN: must be a bot token \(xoxb-…\), and this is an app-level token: it belongs in SLACK_APP_TOKEN/,
    );
    expect(refusal("xoxp-99-secret")).toMatch(/and this is a user token/);
    expect(refusal("hunter2-secret")).toMatch(/must be a bot token \(xoxb-…\), the Bot User OAuth Token/);
    for (const token of ["xapp-1-A1-secret", "xoxp-99-secret", "hunter2-secret"])
      expect(refusal(token)).not.toContain(token);
  });

  it("gives Slack's API URL the trailing slash the Web API client needs", () => {
    expect(readEnv({ ...base, SLACK_API_URL: "http://127.0.0.1:9/api" }).SLACK_API_URL).toBe(
      "http://127.0.0.1:9/api/",
    );
    expect(readEnv({ ...base, SLACK_API_URL: "" }).SLACK_API_URL).toBeUndefined();
  });
});

describe("the distribution directory", () => {
  const directory = new DistributionDirectory(
    parseConfig("distributions:\n  web:\n    id: E2EXAMPLE123\n  shop:\n    id: E3SHOP456789\n", "x"),
  );

  it("finds by alias (any case) or by id", () => {
    expect(directory.resolve("WEB")).toEqual({ alias: "web", id: "E2EXAMPLE123" });
    expect(directory.resolve("e3shop456789")).toEqual({ alias: "shop", id: "E3SHOP456789" });
  });

  it("refuses anything not in the config and says what is, or only what the asker may use", () => {
    expect(() => directory.resolve("E9OTHER00000", (d) => d.alias === "shop")).toThrow(
      /`E9OTHER00000` is not a distribution I know\. I may act on: `shop` \(E3SHOP456789\)\./,
    );
    expect(() => directory.resolve("E9OTHER00000")).toThrow(
      /`E9OTHER00000` is not a distribution I know\. I may act on: `web` \(E2EXAMPLE123\), `shop` \(E3SHOP456789\)/,
    );
  });
});

describe("the config table in docs/configuration.md", () => {
  it("is the one the schema's own descriptions and defaults make", async () => {
    const readme = await readFile(join(import.meta.dirname, "..", "..", "docs", "configuration.md"), "utf8");
    const shown = /<!-- config-table -->\n([\s\S]*?)\n<!-- \/config-table -->/.exec(readme)?.[1];
    expect(shown).toBe(configTableMarkdown());
    for (const key of [
      "purge.coalesceWindow",
      "purge.monthlyPathCap",
      "alerts.checkEvery",
      "alerts.minDatapoints",
      "alerts.recoveryRatio",
      "alerts.cooldown",
    ])
      expect(shown).toContain(`\`${key}\``);
  });
});

describe("config problems in the words of the person who wrote the file", () => {
  it.each([
    [
      "distributons:\n  web:\n    id: E2EXAMPLE123\n",
      /distributions: is required[\s\S]*unknown key "distributons" \(did you mean "distributions"\?\): check the spelling/,
    ],
    [
      "distributions:\n  web:\n    id: E2EXAMPLE123\npurge:\n  monthlyPathCapp: 10\n",
      /purge: unknown key "monthlyPathCapp" \(did you mean "monthlyPathCap"\?\)/,
    ],
    [
      "distributions:\n  web:\n    id: E2EXAMPLE123\n    chanel: C1\n",
      /distributions\.web: unknown key "chanel" \(did you mean "channel"\?\)/,
    ],
    [
      "policy:\n  approvalsRequired: 9\ndistributions:\n  web:\n    id: E2EXAMPLE123\n",
      /policy\.approvalsRequired: must be at most 5/,
    ],
    [
      "distributions:\n  __proto__:\n    id: E2EXAMPLE123\n",
      /distributions\.__proto__: "__proto__" cannot be an alias/,
    ],
  ])("%j", (text, message) => {
    expect(() => parseConfig(text, "cdnbot.yml")).toThrow(message);
    expect(() => parseConfig(text, "cdnbot.yml")).not.toThrow(/Invalid input|expected|Too big/);
  });

  it("says a port must be a number", () => {
    expect(() => readEnv({ SLACK_BOT_TOKEN: "x", SLACK_SIGNING_SECRET: "y", PORT: "abc" })).toThrow(
      /PORT: must be a number/,
    );
  });
});
