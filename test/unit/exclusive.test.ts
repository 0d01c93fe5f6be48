import { describe, expect, it } from "vitest";
import { acrossReplicas } from "../../src/tracking/exclusive.js";
import type { LeasePort } from "../../src/tracking/work-leases.js";

/** Leases as the stores keep them: one holder at a time, until it lapses. */
function leaseTable(): LeasePort & { held: Map<string, { holder: string; until: number }> } {
  const held = new Map<string, { holder: string; until: number }>();
  return {
    held,
    async holdLease(name, holder, until, now) {
      const current = held.get(name);
      if (current && current.holder !== holder && current.until > now) return false;
      held.set(name, { holder, until });
      return true;
    },
    async releaseLease(name, holder) {
      if (held.get(name)?.holder === holder) held.delete(name);
    },
  };
}

describe("a decision taken alone across replicas", () => {
  it("never runs on two replicas at once, and every one runs", async () => {
    const table = leaseTable();
    const replicas = ["a", "b", "c"].map((holder) => acrossReplicas(table, holder, Date.now));
    let inside = 0;
    let most = 0;
    const done: number[] = [];
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        replicas[i % 3]!("cap", async () => {
          inside++;
          most = Math.max(most, inside);
          await new Promise((resolve) => setTimeout(resolve, 1));
          inside--;
          done.push(i);
        }),
      ),
    );
    expect(most).toBe(1);
    expect(done.sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(table.held.size).toBe(0);
  });

  it("takes over a lease whose holder died once it lapses", async () => {
    const table = leaseTable();
    let now = 1_000;
    // The dead replica's lease, never released, lasting until 1,200.
    await table.holdLease("exclusive:cap", "dead", 1_200, now);
    let asked = 0;
    let thirdAsk: () => void = () => undefined;
    const askedThrice = new Promise<void>((resolve) => {
      thirdAsk = resolve;
    });
    const counting: LeasePort = {
      holdLease: async (...args) => {
        if (++asked === 3) thirdAsk();
        return table.holdLease(...args);
      },
      releaseLease: (...args) => table.releaseLease(...args),
    };
    const alive = acrossReplicas(counting, "alive", () => now, { leaseMs: 5_000 });
    let settled = false;
    const run = alive("cap", async () => "decided").finally(() => {
      settled = true;
    });
    // Asked three times while the dead one's lease lasts: each time refused, so not run yet.
    await askedThrice;
    expect(settled).toBe(false);
    now = 1_201;
    await expect(run).resolves.toBe("decided");
  });
});
