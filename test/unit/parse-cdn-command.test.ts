import { describe, expect, it } from "vitest";
import { COMMAND_USAGE, parseCdnCommand, UsageError } from "../../src/commands/parse-cdn-command.js";
import { helpMessage } from "../../src/messages/help-messages.js";

describe("parseCdnCommand", () => {
  it.each([
    [
      "purge web /index.html /css/app.css",
      { verb: "purge", distribution: "web", paths: ["/index.html", "/css/app.css"] },
    ],
    ["  PURGE   web   /a  ", { verb: "purge", distribution: "web", paths: ["/a"] }],
    [
      "purge web <https://example.com/a|example.com/a>",
      { verb: "purge", distribution: "web", paths: ["https://example.com/a"] },
    ],
    ["status web", { verb: "status", distribution: "web" }],
    ["status web I2J0I21PCUYOIK", { verb: "status", distribution: "web", invalidationId: "I2J0I21PCUYOIK" }],
    ["list", { verb: "list" }],
    ["", { verb: "help" }],
    ["help purge", { verb: "help", topic: "purge" }],
    [
      "logging web on bucket=security-logs prefix=web/ cookies=yes",
      {
        verb: "change",
        distribution: "web",
        spec: {
          kind: "logging",
          enabled: true,
          bucket: "security-logs",
          prefix: "web/",
          includeCookies: true,
        },
      },
    ],
    [
      "logging web off",
      { verb: "change", distribution: "web", spec: { kind: "log-delivery", destination: null } },
    ],
    [
      "logging web off legacy",
      { verb: "change", distribution: "web", spec: { kind: "logging", enabled: false } },
    ],
    [
      "cache-tags web header=Cache-Tag",
      { verb: "change", distribution: "web", spec: { kind: "cache-tags", headerName: "Cache-Tag" } },
    ],
    [
      "cache-tags web off",
      { verb: "change", distribution: "web", spec: { kind: "cache-tags", headerName: null } },
    ],
    ["cache-tags web show", { verb: "config", distribution: "web", section: "cache-tags" }],
    ["purge web tag:sale /a", { verb: "purge", distribution: "web", paths: ["tag:sale", "/a"] }],
  ])("parses %j", (text, expected) => {
    expect(parseCdnCommand(text)).toEqual(expected);
  });

  it.each([
    ["purge", /which distribution and which paths/],
    ["purge web", /which paths to purge/],
    ["cache-tags web", /Say `header=<Header-Name>`, `off` or `show`/],
    ["status", /which distribution/],
    ["list everything", /takes no arguments/],
    ["nuke web", /I don't know the command `nuke`/],
    [
      "logging web on",
      /Tell me where: `to=s3:<bucket>\[\/prefix\]` \(logging v2\), or `bucket=<name>` \(legacy\)/,
    ],
    ["logging web maybe", /Say `on to=s3:<bucket>\[\/prefix\]`.*`off` or `show`/],
    ["logging web off now", /Say `on to=s3:<bucket>\[\/prefix\]`.*`off` or `show`/],
    ["logging web on bucket=x cookies=perhaps", /`cookies=` is `yes` or `no`/],
  ])("refuses %j with usage", (text, message) => {
    expect(() => parseCdnCommand(text)).toThrow(UsageError);
    expect(() => parseCdnCommand(text)).toThrow(message);
  });
});

describe("helpMessage", () => {
  it("lists every command in the fallback text", () => {
    const { text, blocks } = helpMessage(COMMAND_USAGE);
    for (const verb of ["purge", "status", "list", "help"]) expect(text).toContain(`/cdn ${verb}`);
    expect(blocks.length).toBeGreaterThan(1);
  });

  it("shows one command's help, leading with the problem", () => {
    const { text } = helpMessage(COMMAND_USAGE, "purge", "Tell me which paths to purge.");
    expect(text.startsWith("Tell me which paths to purge.")).toBe(true);
    // Slack renders the escaped form as `<distribution>`.
    expect(text).toContain("/cdn purge &lt;distribution&gt;");
    expect(text).not.toContain("/cdn list");
  });
});

describe("parsing what Slack escapes", () => {
  it.each([
    [
      "watch web <#C0INC|incidents> --5xx 2% --4xx 15",
      {
        verb: "watch",
        distribution: "web",
        channelId: "C0INC",
        thresholds: { "5xxErrorRate": 2, "4xxErrorRate": 15 },
      },
    ],
    ["watch web", { verb: "watch", distribution: "web", thresholds: {} }],
    ["unwatch web <#C0INC|incidents>", { verb: "unwatch", distribution: "web", channelId: "C0INC" }],
    ["stats web 24h", { verb: "stats", distribution: "web", window: "24h" }],
    ["incident web", { verb: "incident", distribution: "web" }],
    ["purge web /q?a=1&amp;b=&lt;x&gt;", { verb: "purge", distribution: "web", paths: ["/q?a=1&b=<x>"] }],
  ])("parses %j", (text, expected) => {
    expect(parseCdnCommand(text)).toEqual(expected);
  });

  it.each([
    ["watch web #incidents", /is not a channel I can use/],
    ["watch web --5xx lots", /`--5xx` takes a percentage/],
    ["watch web --5xx 150%", /`--5xx` takes a percentage/],
    ["watch web --p99 3", /I don't know the option `--p99`/],
    ["stats", /Tell me which distribution/],
  ])("refuses %j", (text, message) => {
    expect(() => parseCdnCommand(text)).toThrow(message);
  });
});

describe("a change's reason", () => {
  it("is taken from --reason or --break-glass in straight or curly quotes, anywhere in the words", () => {
    expect(parseCdnCommand('ttl web default=0 --reason "INC-231, origin melting"')).toMatchObject({
      verb: "change",
      distribution: "web",
      reason: "INC-231, origin melting",
      spec: { kind: "ttl", defaultTtl: 0 },
    });
    expect(parseCdnCommand("comment web --break-glass “sale is down” Sale is off")).toMatchObject({
      breakGlass: "sale is down",
      spec: { kind: "comment", comment: "Sale is off" },
    });
    expect(parseCdnCommand("rollback C-1 --reason INC-9")).toMatchObject({
      verb: "rollback",
      changeId: "C-1",
      reason: "INC-9",
    });
    // What a person typed in it reaches the audit as typed.
    expect(parseCdnCommand('enable web --reason "a &lt;b&gt; &amp; c"')).toMatchObject({
      reason: "a <b> & c",
    });
  });

  it("is refused empty, unquoted past one word, too long, twice, or on what is not a change", () => {
    const refusal = (text: string) => {
      try {
        parseCdnCommand(text);
      } catch (error) {
        return (error as Error).message;
      }
      return "accepted";
    };
    expect(refusal('ttl web default=0 --reason ""')).toMatch(/Say why after `--reason`, in quotes/);
    expect(refusal("ttl web default=0 --reason")).toMatch(/`--reason` takes the reason in quotes/);
    expect(refusal(`ttl web default=0 --reason "${"x".repeat(301)}"`)).toMatch(/under 300 characters/);
    expect(refusal('ttl web default=0 --reason "a" --break-glass "b"')).toMatch(/Give one reason/);
    expect(refusal('config web --reason "a"')).toMatch(/`--reason` goes with a change or a rollback/);
  });
});
