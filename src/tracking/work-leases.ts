/**
 * Which replica does a piece of work (polls a distribution, sends its invalidations): the one
 * holding the work's lease. A replica renews a lease each time it looks at the work, so it keeps it
 * while it lives; when it dies, another takes the work over once the lease lapses, and when it stops
 * cleanly it lets its leases go so the others need not wait. With one process, it always owns.
 */
export type WorkOwnership = {
  /**
   * True when this replica holds (or has just taken) the work's lease, for `leaseMs` from now (the
   * default period unless the work comes round less often than that: its lease must outlast the gap).
   */
  owns(work: string, leaseMs?: number): Promise<boolean>;
  /** Lets every lease this replica holds go (at shutdown). */
  releaseAll(): Promise<void>;
};

/** How long a lease lasts without renewal: the longest another replica waits to take over. */
export const WORK_LEASE_MS = 30_000;

export type LeasePort = {
  holdLease(name: string, holder: string, until: number, now: number): Promise<boolean>;
  releaseLease(name: string, holder: string): Promise<void>;
};

export function leaseOwnership(
  leases: LeasePort,
  holder: string,
  clock: () => number,
  leaseMs = WORK_LEASE_MS,
): WorkOwnership {
  const held = new Set<string>();
  return {
    async owns(work, forMs = leaseMs) {
      const now = clock();
      let mine: boolean;
      try {
        mine = await leases.holdLease(work, holder, now + forMs, now);
      } catch {
        // The store cannot say: doing nothing this tick beats two replicas doing it twice.
        mine = false;
      }
      if (mine) held.add(work);
      else held.delete(work);
      return mine;
    },
    async releaseAll() {
      await Promise.all([...held].map((work) => leases.releaseLease(work, holder).catch(() => undefined)));
      held.clear();
    },
  };
}

/** Asks whether this replica owns a piece of work; absent when one process does all the work. */
export type Owns = (work: string) => Promise<boolean>;

/**
 * The ids among these (distributions, say) whose work, named by `workOf`, this replica owns. Each
 * distinct id is asked once, so each lease is renewed once a pass. Without leases: all of them.
 */
export async function ownedAmong(
  ids: readonly string[],
  workOf: (id: string) => string,
  owns: Owns | undefined,
): Promise<Set<string>> {
  const distinct = [...new Set(ids)];
  if (!owns) return new Set(distinct);
  const answers = await Promise.all(distinct.map((id) => owns(workOf(id))));
  return new Set(distinct.filter((_, i) => answers[i]));
}
