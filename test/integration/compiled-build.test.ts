import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBed, type TestBed } from "../support/test-bed.js";

let bed: TestBed;
const root = join(import.meta.dirname, "..", "..");

beforeAll(async () => {
  // What `npm ci` runs once (the `prepare` script): the TypeScript compiler, into dist/.
  execFileSync(
    process.execPath,
    [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"],
    {
      cwd: root,
      stdio: "inherit",
    },
  );
  bed = await startTestBed({ compiled: true, strict: { invalidationCompletesAfterMs: 300 } });
}, 120_000);
afterAll(async () => {
  await bed?.close();
});

describe("the compiled build", () => {
  it("starts without a TypeScript loader and purges as the sources do", async () => {
    expect(bed.bot.output()).toContain("cdnbot is listening");

    await bed.command("purge web /compiled.html", { channelId: "CBUILD" });

    const parent = await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => b.channel === "CBUILD" && !b.thread_ts,
    );
    await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => b.thread_ts === parent.response?.ts && /Completed in/.test(String(b.text)),
      15_000,
    );
  });

  it("loads the chart renderer only when a chart is drawn", async () => {
    // The native canvas module is not in the process until /cdn stats needs it.
    const maps = (await import("node:fs")).readFileSync(`/proc/${bed.bot.pid}/maps`, "utf8");
    expect(maps).not.toMatch(/skia|canvas/i);
  });
});
