import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/run-sandbox.js";

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, speed: 1, moto: true });
}, 120_000);
afterAll(async () => {
  await sandbox?.stop();
});

const send = (user: string, channel: string, text: string) =>
  fetch(`${sandbox.url}/ui/send`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user, channel, text }),
  }).then((r) => r.json() as Promise<{ ok: boolean }>);

async function until<T>(find: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found) return found;
    if (Date.now() > deadline) throw new Error("not seen in time");
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("npm run sandbox -- --moto", () => {
  it("runs the bot against moto_server through its real AWS gateways: a purge completes, stats have a chart", async () => {
    expect(sandbox.aws).toBe("moto");
    expect(await send("U0ALICE", "C0DEPLOYS", "/cdn purge web /index.html")).toEqual({
      ok: true,
      status: 200,
    });
    const done = await until(() =>
      sandbox.workspace.messages.find((m) =>
        /Invalidation \S+ Completed in \d+s: 1 path purged from web/.test(m.text),
      ),
    );
    expect(done.threadTs).toBeDefined();

    await send("U0BOB", "C0DEPLOYS", "/cdn stats web 3h");
    const stats = await until(() =>
      sandbox.workspace.messages.find((m) => /CloudFront metrics for web/.test(m.text)),
    );
    // Six hours of made-up metrics were written into moto's CloudWatch before the bot started.
    expect(stats.text).toMatch(/Requests: [\d,]+ \([+−-]\d+% vs the previous 3h\)/);
    await until(() => sandbox.workspace.messages.find((m) => m.threadTs === stats.ts && m.files?.length));
  }, 120_000);
});
