import { describe, expect, it } from "vitest";
import { checkCallbackUrl } from "../../src/api/callbacks.js";
import { parseConfig } from "../../src/config/load-config.js";

const config = parseConfig(
  [
    "distributions:",
    "  web:",
    "    id: E2EXAMPLE123",
    "api:",
    "  callbacks:",
    "    allowedHosts: [ci.example.com, hooks.example.com:8443, 127.0.0.1]",
    "",
  ].join("\n"),
  "cdnbot.yml",
);
const check = (url: string) => () => checkCallbackUrl(config, "secret", url);

describe("a request's callbackUrl", () => {
  it("goes to an allowed host on its default port, or on the port its entry names", () => {
    expect(check("https://ci.example.com/hook")).not.toThrow();
    expect(check("https://hooks.example.com:8443/hook")).not.toThrow();
    // A local receiver listens on whatever port it was given.
    expect(check("http://127.0.0.1:43117/hook")).not.toThrow();
  });

  it("is refused on any other port of an allowed host", () => {
    expect(check("https://ci.example.com:22/")).toThrow(/ci\.example\.com:22 is not among the hosts/);
    expect(check("https://hooks.example.com/hook")).toThrow(/is not among the hosts/);
    expect(check("https://hooks.example.com:9443/hook")).toThrow(/is not among the hosts/);
  });

  it("refuses a config entry that is neither a host nor host:port", () => {
    expect(() =>
      parseConfig(
        "distributions:\n  web:\n    id: E2EXAMPLE123\napi:\n  callbacks:\n    allowedHosts: [https://ci.example.com]\n",
        "cdnbot.yml",
      ),
    ).toThrow(/host:port such as ci\.example\.com:8443/);
  });
});
