import { describe, expect, it } from "vitest";
import { clientBillingKey } from "../../src/store/calendar-month.js";
import { ConflictError, type RecordStore } from "../../src/store/record-store.js";
import type { ApprovalRequest, Watch } from "../../src/store/records.js";
import { retryOnConflict } from "../../src/store/retry-on-conflict.js";
import { aPurge } from "../support/fixtures.js";

/**
 * What every RecordStore promises, whatever it is built on: run by each implementation's test file
 * (lowdb now; DynamoDB next). `open` gives a store on a fresh backing; `reopen` the same backing as a
 * restarted process sees it.
 */
export type ContractSubject = {
  open(): Promise<{ store: RecordStore; reopen(): Promise<RecordStore> }>;
};

const NOW = Date.UTC(2026, 10, 25, 12);
const alice = { userId: "UALICE", teamId: "T1" };

function aRequest(overrides: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return {
    version: 0,
    id: "RAAAAA2",
    action: "wildcard-purge",
    alias: "web",
    distributionId: "E2EXAMPLE123",
    requestedBy: alice,
    channelId: "C1",
    createdAt: NOW,
    expiresAt: NOW + 30 * 60_000,
    approvalsRequired: 1,
    state: "pending",
    approvals: [],
    payload: { kind: "purge", paths: ["/*"], notes: [] },
    messageSettled: false,
    ...overrides,
  };
}

function aWatch(overrides: Partial<Watch> = {}): Watch {
  return {
    version: 0,
    id: "w-1",
    alias: "web",
    distributionId: "E2EXAMPLE123",
    channelId: "CINC",
    thresholds: { "5xxErrorRate": 5, "4xxErrorRate": 20 },
    createdBy: alice,
    createdAt: NOW,
    ...overrides,
  };
}

export function recordStoreContract(name: string, subject: ContractSubject): void {
  describe(`${name}: the record store contract`, () => {
    it("creates a record once, and a second create of the same id conflicts", async () => {
      const { store, reopen } = await subject.open();
      await store.commit({ writes: [{ kind: "approval", op: "create", record: aRequest() }] }, NOW);

      await expect(
        store.commit({ writes: [{ kind: "approval", op: "create", record: aRequest() }] }, NOW),
      ).rejects.toMatchObject({ name: "ConflictError", reason: "exists" });
      expect(await (await reopen()).get("approval", "RAAAAA2")).toMatchObject({
        state: "pending",
        version: 0,
      });
    });

    it("replaces only from the version it expects, bumping it", async () => {
      const { store } = await subject.open();
      await store.commit({ writes: [{ kind: "approval", op: "create", record: aRequest() }] }, NOW);
      const seen = (await store.get("approval", "RAAAAA2"))!;

      await store.commit(
        {
          writes: [
            { kind: "approval", op: "replace", record: { ...seen, state: "approved" }, expectedVersion: 0 },
          ],
        },
        NOW,
      );
      const late = store.commit(
        {
          writes: [
            { kind: "approval", op: "replace", record: { ...seen, state: "rejected" }, expectedVersion: 0 },
          ],
        },
        NOW,
      );

      await expect(late).rejects.toBeInstanceOf(ConflictError);
      expect(await store.get("approval", "RAAAAA2")).toMatchObject({ state: "approved", version: 1 });
    });

    it("lands every write of a commit or none, audit and counters included", async () => {
      const { store, reopen } = await subject.open();
      await store.commit({ writes: [{ kind: "purge", op: "create", record: aPurge({ id: "p1" }) }] }, NOW);

      const mixed = store.commit(
        {
          writes: [
            { kind: "purge", op: "create", record: aPurge({ id: "p2" }) },
            {
              kind: "purge",
              op: "replace",
              record: aPurge({ id: "p1", state: "completed" }),
              expectedVersion: 7,
            },
          ],
          audit: [{ type: "purge.requested", summary: "must not land" }],
          billPaths: { month: "2026-11", paths: 3 },
        },
        NOW,
      );

      await expect(mixed).rejects.toMatchObject({ kind: "purge", id: "p1", reason: "moved" });
      const again = await reopen();
      expect((await again.list("purge")).map((p) => [p.id, p.state])).toEqual([["p1", "requested"]]);
      expect(await again.pathsBilled("2026-11")).toBe(0);
      expect(await again.audit.query({})).toEqual([]);
    });

    it("saves audit entries and path counts with the records, numbered, newest read first", async () => {
      const { store, reopen } = await subject.open();
      await store.commit(
        {
          writes: [{ kind: "purge", op: "create", record: aPurge({ id: "p1" }) }],
          audit: [
            { type: "purge.requested", distributionId: "E2EXAMPLE123", summary: "first" },
            { type: "aws.CreateInvalidation", distributionId: "E2EXAMPLE123", summary: "second" },
          ],
          billPaths: { month: "2026-11", paths: 2 },
        },
        NOW,
      );
      await store.commit(
        { writes: [], billPaths: { month: "2026-11", paths: 5, byClient: { "web-deploy": 4, agent: 1 } } },
        NOW,
      );
      await store.commit(
        { writes: [], billPaths: { month: "2026-11", paths: 1, byClient: { agent: 1 } } },
        NOW,
      );

      const again = await reopen();
      const entries = await again.audit.query({ distributionId: "E2EXAMPLE123" });
      expect(entries.map((e) => e.summary)).toEqual(["second", "first"]);
      expect(entries[0]!.seq).toBeGreaterThan(entries[1]!.seq);
      expect(entries[0]!.at).toBe(NOW);
      expect(await again.pathsBilled("2026-11")).toBe(8);
      expect(await again.pathsBilled("2026-10")).toBe(0);
      // Each API client's share, for its own monthly cap.
      expect(await again.pathsBilled(clientBillingKey("2026-11", "web-deploy"))).toBe(4);
      expect(await again.pathsBilled(clientBillingKey("2026-11", "agent"))).toBe(2);
    });

    it("deletes only from the version it expects", async () => {
      const { store } = await subject.open();
      await store.commit({ writes: [{ kind: "watch", op: "create", record: aWatch() }] }, NOW);

      await expect(
        store.commit({ writes: [{ kind: "watch", op: "delete", id: "w-1", expectedVersion: 3 }] }, NOW),
      ).rejects.toBeInstanceOf(ConflictError);
      await store.commit({ writes: [{ kind: "watch", op: "delete", id: "w-1", expectedVersion: 0 }] }, NOW);

      expect(await store.list("watch")).toEqual([]);
      await expect(
        store.commit({ writes: [{ kind: "watch", op: "delete", id: "w-1", expectedVersion: 0 }] }, NOW),
      ).rejects.toMatchObject({ reason: "missing" });
    });

    it("of 20 replaces from the same version at the same instant, exactly one lands", async () => {
      const { store, reopen } = await subject.open();
      await store.commit({ writes: [{ kind: "approval", op: "create", record: aRequest() }] }, NOW);
      const seen = (await store.get("approval", "RAAAAA2"))!;

      const outcomes = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          store.commit(
            {
              writes: [
                {
                  kind: "approval",
                  op: "replace",
                  record: { ...seen, approvals: [{ userId: `U${i}`, at: NOW }] },
                  expectedVersion: 0,
                },
              ],
              audit: [{ type: "approval.approved", actor: alice, channelId: "C1", summary: `by U${i}` }],
            },
            NOW,
          ),
        ),
      );

      const landed = outcomes.filter((o) => o.status === "fulfilled");
      expect(landed).toHaveLength(1);
      for (const o of outcomes.filter((x) => x.status === "rejected"))
        expect((o as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
      const stored = (await (await reopen()).get("approval", "RAAAAA2"))!;
      expect(stored.version).toBe(1);
      expect(stored.approvals).toHaveLength(1);
      // Only the winner's audit entry was kept.
      expect(await store.audit.query({ limit: 50 })).toHaveLength(1);
    });

    it("of 20 creates of one id at the same instant, one lands and the others conflict as 'exists'", async () => {
      const { store } = await subject.open();

      const outcomes = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          store.commit(
            { writes: [{ kind: "purge", op: "create", record: aPurge({ id: "p-same", paths: [`/${i}`] }) }] },
            NOW,
          ),
        ),
      );

      expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
      for (const o of outcomes.filter((x) => x.status === "rejected"))
        expect((o as PromiseRejectedResult).reason).toMatchObject({
          name: "ConflictError",
          reason: "exists",
        });
      expect((await store.list("purge")).filter((p) => p.id === "p-same")).toHaveLength(1);
    });

    it("20 writers that each retry on conflict all land, one after another, none lost", async () => {
      const { store, reopen } = await subject.open();
      await store.commit(
        { writes: [{ kind: "purge", op: "create", record: aPurge({ id: "p-join" }) }] },
        NOW,
      );

      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          retryOnConflict(async () => {
            const current = (await store.get("purge", "p-join"))!;
            await store.commit(
              {
                writes: [
                  {
                    kind: "purge",
                    op: "replace",
                    record: { ...current, told: [...current.told, `w${i}`] },
                    expectedVersion: current.version,
                  },
                ],
              },
              NOW,
            );
          }),
        ),
      );

      const stored = (await (await reopen()).get("purge", "p-join"))!;
      expect(new Set(stored.told).size).toBe(20);
      expect(stored.version).toBe(20);
    }, 30_000);

    it("keeps alert states by watch and metric", async () => {
      const { store, reopen } = await subject.open();
      const state = {
        version: 0,
        id: "w-1:5xxErrorRate",
        watchId: "w-1",
        metric: "5xxErrorRate" as const,
        state: "breached" as const,
        since: NOW,
      };
      await store.commit({ writes: [{ kind: "alert", op: "create", record: state }] }, NOW);
      await store.commit(
        { writes: [{ kind: "alert", op: "replace", record: { ...state, state: "ok" }, expectedVersion: 0 }] },
        NOW,
      );

      expect(await (await reopen()).get("alert", "w-1:5xxErrorRate")).toMatchObject({
        state: "ok",
        version: 1,
      });
    });

    it("keeps what it stored out of reach: changing what was read changes nothing stored", async () => {
      const { store } = await subject.open();
      await store.commit({ writes: [{ kind: "approval", op: "create", record: aRequest() }] }, NOW);

      // A store hands out either copies or frozen records (lowdb, which would otherwise copy every
      // live record per list): changing one in place changes a copy, or throws.
      const attempt = (change: () => void) => {
        try {
          change();
        } catch (error) {
          expect(error).toBeInstanceOf(TypeError);
        }
      };
      const read = (await store.get("approval", "RAAAAA2"))!;
      attempt(() => {
        read.state = "approved";
      });
      const listed = (await store.list("approval"))[0]!;
      attempt(() => listed.approvals.push({ userId: "UX", at: NOW }));

      expect(await store.get("approval", "RAAAAA2")).toMatchObject({ state: "pending", approvals: [] });
    });

    it("grants a trigger id once while its claim lasts, across a restart", async () => {
      const { store, reopen } = await subject.open();

      const first = await Promise.all([
        store.claimTrigger("T.1", NOW + 600_000, NOW),
        store.claimTrigger("T.1", NOW + 600_000, NOW),
      ]);
      expect(first.filter(Boolean)).toHaveLength(1);
      expect(await (await reopen()).claimTrigger("T.1", NOW + 600_000, NOW + 1000)).toBe(false);
      // Once the claim has lapsed, the id is free again (no replay could pass Slack's window by then).
      expect(await (await reopen()).claimTrigger("T.1", NOW + 1_300_000, NOW + 700_000)).toBe(true);
    });

    it("gives a lease to one holder at a time, until it lapses, across a restart", async () => {
      const { store, reopen } = await subject.open();
      expect(await store.holdLease("poll:E2EXAMPLE123", "replica-a", NOW + 30_000, NOW)).toBe(true);
      expect(await store.holdLease("poll:E2EXAMPLE123", "replica-b", NOW + 30_000, NOW + 1_000)).toBe(false);
      // Another lease is another matter.
      expect(await store.holdLease("poll:E3OTHER000000", "replica-b", NOW + 30_000, NOW + 1_000)).toBe(true);

      const again = await reopen();
      expect(await again.holdLease("poll:E2EXAMPLE123", "replica-b", NOW + 60_000, NOW + 29_000)).toBe(false);
      // Not renewed in time: the next holder takes it, and the old one cannot take it back.
      expect(await again.holdLease("poll:E2EXAMPLE123", "replica-b", NOW + 60_000, NOW + 30_000)).toBe(true);
      expect(await again.holdLease("poll:E2EXAMPLE123", "replica-a", NOW + 60_000, NOW + 31_000)).toBe(false);
    });

    it("renews a lease for its holder, and lets it go at once when its holder releases it", async () => {
      const { store } = await subject.open();
      await store.holdLease("poll:E2EXAMPLE123", "replica-a", NOW + 30_000, NOW);
      expect(await store.holdLease("poll:E2EXAMPLE123", "replica-a", NOW + 60_000, NOW + 20_000)).toBe(true);
      expect(await store.holdLease("poll:E2EXAMPLE123", "replica-b", NOW + 90_000, NOW + 45_000)).toBe(false);

      await store.releaseLease("poll:E2EXAMPLE123", "replica-b"); // not b's: nothing happens
      expect(await store.holdLease("poll:E2EXAMPLE123", "replica-b", NOW + 90_000, NOW + 46_000)).toBe(false);
      await store.releaseLease("poll:E2EXAMPLE123", "replica-a");
      expect(await store.holdLease("poll:E2EXAMPLE123", "replica-b", NOW + 90_000, NOW + 47_000)).toBe(true);
    });
  });
}
