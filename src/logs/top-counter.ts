/**
 * The most frequent values of a stream in bounded memory: at most twice `capacity` counters. When
 * that many are held, those at or below the `capacity`-th largest count are dropped, and a value
 * seen afterwards starts from that count (it may have been seen that often before: its possible
 * overcount). Every value seen more than total / capacity times is kept, and a count whose
 * overcount is 0 is exact. A day of logs has millions of distinct paths and client addresses: a
 * plain map of them all would not fit the bot's memory.
 */
export class TopCounter {
  private readonly counts = new Map<
    string,
    { count: number; overcount: number; measured: number; sum: number }
  >();
  /** The largest count ever dropped: what a value not held now may have had. */
  private floor = 0;

  constructor(private readonly capacity = 2_000) {}

  /**
   * Counts the value once more; `measure` (a request's time-taken) is summed beside the count, for
   * a mean over the times it was measured while held (what was dropped with it is gone).
   */
  add(value: string, by = 1, measure?: number): void {
    const entry = this.counts.get(value);
    if (entry) {
      entry.count += by;
      if (measure !== undefined) {
        entry.measured++;
        entry.sum += measure;
      }
      return;
    }
    this.counts.set(value, {
      count: this.floor + by,
      overcount: this.floor,
      measured: measure === undefined ? 0 : 1,
      sum: measure ?? 0,
    });
    if (this.counts.size >= 2 * this.capacity) this.prune();
  }

  /** The values held with their measures: how many times measured, and the mean. */
  measured(minimum: number): { value: string; count: number; mean: number }[] {
    return [...this.counts]
      .filter(([, e]) => e.measured >= minimum)
      .map(([value, e]) => ({ value, count: e.measured, mean: e.sum / e.measured }));
  }

  /** The `n` largest, largest first; `exact` says whether the count is known to be exact. */
  top(n: number): { value: string; count: number; exact: boolean }[] {
    return [...this.counts]
      .sort((a, b) => b[1].count - a[1].count || a[0].localeCompare(b[0]))
      .slice(0, n)
      .map(([value, { count, overcount }]) => ({ value, count, exact: overcount === 0 }));
  }

  private prune(): void {
    // A typed array sorts numbers natively, several times faster than a comparator's sort.
    const counts = new Float64Array(this.counts.size);
    let i = 0;
    for (const entry of this.counts.values()) counts[i++] = entry.count;
    counts.sort();
    const floor = counts[counts.length - this.capacity]!;
    for (const [value, entry] of this.counts) if (entry.count <= floor) this.counts.delete(value);
    this.floor = Math.max(this.floor, floor);
  }
}
