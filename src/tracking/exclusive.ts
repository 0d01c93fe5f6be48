import { setTimeout as pause } from "node:timers/promises";
import { KeyedLock } from "./keyed-lock.js";
import type { LeasePort } from "./work-leases.js";

/**
 * Runs a decision that must not interleave with the same decision elsewhere (counting a limit and
 * storing what it let in: the monthly path cap, `environments.max`), one at a time per name. With
 * one process a lock in memory does it; with replicas on a shared store, the store's lease too, so
 * two replicas asked at the same instant cannot both take the last place under a limit.
 */
export type Exclusive = <T>(name: string, work: () => Promise<T>) => Promise<T>;

/** One process: a lock in memory. */
export function inProcess(): Exclusive {
  const lock = new KeyedLock();
  return (name, work) => lock.run(name, work);
}

export type AcrossReplicasOptions = {
  /** How long the lease lasts if its holder dies holding it: the longest the others then wait. */
  leaseMs?: number;
  random?: () => number;
};

/**
 * Replicas: the lock in memory (a process queues behind itself, not the store), then the store's
 * lease `exclusive:<name>`, asked for again after a short random pause until it is held. There is
 * no giving up: what waits here was acknowledged already, and a holder either finishes (its calls
 * to AWS and Slack all have timeouts) or dies, and then its lease lapses.
 */
export function acrossReplicas(
  leases: LeasePort,
  holder: string,
  clock: () => number,
  options: AcrossReplicasOptions = {},
): Exclusive {
  const local = new KeyedLock();
  const leaseMs = options.leaseMs ?? 30_000;
  const random = options.random ?? Math.random;
  return (name, work) =>
    local.run(name, async () => {
      const lease = `exclusive:${name}`;
      // Backing off: each ask is a call to the store the holder needs too, so asking every few
      // milliseconds slowed the holder's own decision (on a loaded machine, 20 of them took > 30 s).
      for (let attempt = 0; !(await holds(leases, lease, holder, clock() + leaseMs, clock())); attempt++) {
        await pause(Math.min(250, 10 * 2 ** attempt) + Math.floor(random() * 25));
      }
      try {
        return await work();
      } finally {
        await leases.releaseLease(lease, holder).catch(() => undefined);
      }
    });
}

/** Whether the lease is held now; a store that cannot answer is asked again, like a lease held elsewhere. */
async function holds(leases: LeasePort, lease: string, holder: string, until: number, now: number) {
  try {
    return await leases.holdLease(lease, holder, until, now);
  } catch {
    return false;
  }
}
