import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBed, type TestBed } from "../support/test-bed.js";

let bed: TestBed;

beforeAll(async () => {
  bed = await startTestBed({ env: { CDNBOT_HEALTH_CHECK_MS: "100" } });
});
afterAll(async () => {
  await bed?.close();
});

async function get(path: string): Promise<{
  status: number;
  body: {
    status: string;
    memory?: { rssMb: number; heapUsedMb: number };
    checks?: Record<string, { ok: boolean; problem?: string }>;
    jobs?: { job: string; runs: number; lastFinishedAt?: string; failures: number; stuck: number }[];
  };
}> {
  const res = await fetch(`${bed.bot.url}${path}`);
  return { status: res.status, body: (await res.json()) as never };
}

describe("health endpoints", () => {
  it("say the process is alive, and what memory it holds", async () => {
    const alive = await get("/healthz");
    expect(alive).toMatchObject({ status: 200, body: { status: "alive" } });
    // The bot's own figures, as a process of its size has them.
    const { rssMb, heapUsedMb } = alive.body.memory!;
    expect(heapUsedMb).toBeGreaterThan(5);
    expect(rssMb).toBeGreaterThan(heapUsedMb);
    expect(rssMb).toBeLessThan(1024);
  });

  it("say it is ready once Slack and AWS answered, and not ready while Slack refuses", async () => {
    await bed.jobRuns("health", 1);
    const ready = await get("/readyz");
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toMatchObject({
      config: { ok: true },
      store: { ok: true },
      slack: { ok: true },
      aws: { ok: true },
    });
    // Each scheduled job's last finished run, as operators read it.
    const health = ready.body.jobs?.find((j) => j.job === "health");
    expect(health).toMatchObject({ failures: 0, stuck: 0 });
    expect(health!.runs).toBeGreaterThanOrEqual(1);
    expect(Date.parse(health!.lastFinishedAt!)).toBeGreaterThan(Date.now() - 60_000);
    expect(ready.body.jobs?.map((j) => j.job)).toEqual(expect.arrayContaining(["purge.send", "purge.poll"]));

    // Slack refuses the token from now on (as when it is revoked), until the fake is reset.
    for (let i = 0; i < 1000; i++) bed.fake.failNext("auth.test", "invalid_auth");
    await bed.jobRuns("health", 2);
    const refused = await get("/readyz");
    expect(refused.status).toBe(503);
    expect(refused.body.checks?.slack).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/invalid_auth/),
    });

    // Slack answers again: the next check sees it.
    bed.fake.reset();
    await bed.jobRuns("health", 2);
    expect((await get("/readyz")).status).toBe(200);
  });
});
