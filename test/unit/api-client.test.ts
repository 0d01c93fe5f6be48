import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiClient, waitUntilFinal } from "../../src/cli/api-client.js";

/** A stand-in for cdnbot's wait endpoint: says what it was asked, and that the operation is over. */
const asked: string[] = [];
const server = createServer((req, res) => {
  asked.push(req.url ?? "");
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ id: "RABCDEF", state: "completed", final: true }));
});
let url: string;
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe("the CLI's API client", () => {
  it("waits for what is left of a deadline, however many milliseconds it has", async () => {
    const client = createApiClient({ url, token: "t" });
    // A deadline 59.897 s away: the wait must still be asked for, in whole seconds.
    const start = 1_700_000_000_000;
    const status = await waitUntilFinal(client, "RABCDEF", start + 59_897, () => start);
    expect(status).toMatchObject({ state: "completed", final: true });
    expect(asked.at(-1)).toBe("/api/v1/operations/RABCDEF/wait?timeout=60");
    const fractional = await client.waitFor("RABCDEF", 44.3333);
    expect(fractional.body.final).toBe(true);
    expect(asked.at(-1)).toBe("/api/v1/operations/RABCDEF/wait?timeout=44");
  });
});
