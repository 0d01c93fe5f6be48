import { describe, expect, it } from "vitest";
import { boltLogger, createLogger } from "../../src/logger.js";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger("debug", (line) => {
    for (const l of line.split("\n").filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
  });
  return { lines, logger };
}

describe("the log", () => {
  it("keeps an error's stack beside the reference a person was given", () => {
    const { lines, logger } = capture();
    const error = new Error("boom");

    logger.error("Command failed unexpectedly", { reference: "ab12cd34", error });

    expect(lines[0]).toMatchObject({
      level: "error",
      msg: "Command failed unexpectedly",
      reference: "ab12cd34",
    });
    expect((lines[0]!.error as { stack: string }).stack).toMatch(/Error: boom\n\s+at /);
  });

  it("never writes a token or a secret, in a message, a field or a stack", () => {
    const { lines, logger } = capture();
    const token = "xoxb-1234-5678-abcdefghijkl";

    logger.warn(`sent ${token}`, {
      headers: { authorization: "Bearer anything" },
      error: new Error(`invalid_auth for ${token}`),
      nested: { note: `xapp-1-A111-222-abc` },
    });

    const text = JSON.stringify(lines);
    expect(text).not.toContain(token);
    expect(text).not.toContain("xapp-1-A111");
    expect(text).not.toContain("Bearer anything");
  });

  it("takes Bolt's own lines as JSON, marked as Bolt's", () => {
    const { lines, logger } = capture();

    boltLogger(logger, "debug").warn("Failed to verify authenticity", 42);

    expect(lines[0]).toMatchObject({
      level: "warn",
      msg: "Failed to verify authenticity 42",
      source: "bolt",
    });
  });
});
