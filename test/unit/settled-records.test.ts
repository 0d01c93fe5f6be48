import { describe, expect, it } from "vitest";
import { emptyStoreData } from "../../src/store/records.js";
import { findSettled } from "../../src/store/settled-records.js";
import { aPurge } from "../support/fixtures.js";

const NOW = Date.UTC(2026, 10, 25, 12);
const done = (id: string, extra: object = {}) =>
  aPurge({
    id,
    state: "completed",
    finishedAt: NOW - 120_000,
    announced: { created: true, final: true },
    ...extra,
  });
const origin = { client: "web-deploy", fingerprint: "f", callbackUrl: "https://ci.example.com/done" };

describe("which finished records leave the live state", () => {
  it("keeps a finished purge live until its callback was delivered or given up", () => {
    const data = {
      ...emptyStoreData(),
      operations: [
        done("no-callback"),
        done("waiting", { origin, callback: { attempts: 1, nextAt: NOW + 5_000 } }),
        done("delivered", { origin, callback: { attempts: 2, deliveredAt: NOW - 60_000 } }),
        done("given-up", { origin, callback: { attempts: 8, gaveUpAt: NOW - 60_000 } }),
      ],
    };
    const settled = findSettled(data, NOW, () => false).map((s) => s.record.id);
    expect(settled.sort()).toEqual(["delivered", "given-up", "no-callback"]);
  });
});
