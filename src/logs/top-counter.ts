/**
 * The most frequent values of a stream in bounded memory: at most twice `capacity` counters. When
 * that many are held, those at or below the `capacity`-th largest count are dropped, and a value
 * seen afterwards starts from that count (it may have been seen that often before: its possible
 * overcount). Every value seen more than total / capacity times is kept, and a count whose
 * overcount is 0 is exact. A day of logs has millions of distinct paths and client addresses: a
 * plain map of them all would not fit the bot's memory.
 */
export class TopCounter {
  private readonly counts = new Map<string, { count: number; overcount: number }>();
  /** The largest count ever dropped: what a value not held now may have had. */
  private floor = 0;

  constructor(private readonly capacity = 2_000) {}

  add(value: string, by = 1): void {
    const entry = this.counts.get(value);
    if (entry) {
      entry.count += by;
      return;
    }
    this.counts.set(value, { count: this.floor + by, overcount: this.floor });
    if (this.counts.size >= 2 * this.capacity) this.prune();
  }

  /** The `n` largest, largest first; `exact` says whether the count is known to be exact. */
  top(n: number): { value: string; count: number; exact: boolean }[] {
    return [...this.counts]
      .sort((a, b) => b[1].count - a[1].count || a[0].localeCompare(b[0]))
      .slice(0, n)
      .map(([value, { count, overcount }]) => ({ value, count, exact: overcount === 0 }));
  }

  private prune(): void {
    const counts = [...this.counts.values()].map((e) => e.count).sort((a, b) => b - a);
    const floor = counts[this.capacity - 1]!;
    for (const [value, entry] of this.counts) if (entry.count <= floor) this.counts.delete(value);
    this.floor = Math.max(this.floor, floor);
  }
}
