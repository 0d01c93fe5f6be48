import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CDNBOT_VERSION } from "../../src/mcp/mcp-server.js";

describe("the version the MCP server reports", () => {
  it("is package.json's", async () => {
    const pkg = JSON.parse(await readFile(join(import.meta.dirname, "..", "..", "package.json"), "utf8"));
    expect(CDNBOT_VERSION).toBe(pkg.version);
  });
});
