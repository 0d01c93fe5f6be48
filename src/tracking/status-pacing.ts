/**
 * When to ask AWS again whether work in flight on a distribution is done (an invalidation
 * Completed, a deploy Deployed). One status call answers for all of a distribution's work, so the
 * pace is per distribution: often enough that a thread hears "Completed" within seconds, never more
 * than once per `everyMs`, and sparsely while this distribution's own history says the work cannot
 * be done yet.
 */

/** The densest pace: one status call per distribution this often while work is in flight there. */
export const STATUS_EVERY_MS = 10_000;
/** While history says the work cannot be done yet, at most this long between calls. */
const SPARSE_MS = 60_000;
/** Work older than this is in CloudFront's long tail: asked about less often. */
const LONG_TAIL_MS = 30 * 60_000;
/** Of the fastest finish seen, the share after which the work may be done: a margin for a faster one. */
const MARGIN = 0.8;
/** How many finishes per distribution are remembered, and how many are needed before they are trusted. */
const REMEMBERED = 20;
const TRUSTED_AFTER = 3;

/**
 * How long each distribution's work took, as this process saw it finish (in memory: a restart or a
 * replica taking over starts dense, and learns again). Separate instances for invalidations and
 * for deploys, whose durations differ.
 */
export class FinishTimes {
  private readonly byDistribution = new Map<string, number[]>();

  record(distributionId: string, durationMs: number): void {
    if (!(durationMs > 0)) return;
    const seen = this.byDistribution.get(distributionId) ?? [];
    seen.push(durationMs);
    if (seen.length > REMEMBERED) seen.shift();
    this.byDistribution.set(distributionId, seen);
  }

  /** The fastest of this distribution's recent finishes, once there are enough to go by. */
  fastest(distributionId: string): number | undefined {
    const seen = this.byDistribution.get(distributionId);
    return seen && seen.length >= TRUSTED_AFTER ? Math.min(...seen) : undefined;
  }
}

/**
 * The next time to ask about work that started at `startedAt`, asked about `now`: every `everyMs`
 * (a median lag near half of it), sparsely before the distribution's fastest finish seen (less a
 * margin), and every three `everyMs` in the long tail.
 */
export function nextStatusAt(
  now: number,
  startedAt: number,
  fastestMs: number | undefined,
  everyMs: number = STATUS_EVERY_MS,
): number {
  const dense = now + everyMs;
  if (now - startedAt >= LONG_TAIL_MS) return now + 3 * everyMs;
  if (fastestMs === undefined) return dense;
  const mayBeDoneAt = startedAt + MARGIN * fastestMs;
  if (dense >= mayBeDoneAt) return dense;
  return Math.min(now + Math.max(SPARSE_MS, everyMs), mayBeDoneAt);
}

/** How a workflow paces its status calls: the densest pace, what it learnt, and how to be woken. */
export type StatusPace = {
  everyMs: number;
  finishTimes: FinishTimes;
  /** Runs the workflow's follow job at this time (the next status due), rather than at the next tick. */
  wakeAt?: (at: number) => void;
};

/** The pace a workflow was given, or the densest with nothing learnt (a test's, a tool's). */
export function paceOf(deps: { pace?: StatusPace }): StatusPace {
  return deps.pace ?? { everyMs: STATUS_EVERY_MS, finishTimes: new FinishTimes() };
}

/** Asks to be woken for the earliest of these due times, if any. */
export function wakeForEarliest(pace: StatusPace, due: readonly (number | undefined)[]): void {
  const times = due.filter((t): t is number => t !== undefined);
  if (pace.wakeAt && times.length > 0) pace.wakeAt(Math.min(...times));
}
