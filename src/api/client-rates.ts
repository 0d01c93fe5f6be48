/**
 * How many requests each API client made in the last minute, in this process: a client past its
 * `requestsPerMinute` is told when it may ask again. Per replica (a shared store would put a write
 * on every request's path); with N replicas behind a balancer a client gets up to N times its rate.
 */
export class ClientRates {
  private readonly recent = new Map<string, number[]>();

  constructor(private readonly windowMs = 60_000) {}

  /** Counts a request now; returns how many seconds to wait instead when the client is over `limit`. */
  take(client: string, limit: number, now: number): number | undefined {
    const kept = (this.recent.get(client) ?? []).filter((at) => at > now - this.windowMs);
    if (kept.length >= limit) {
      this.recent.set(client, kept);
      return Math.max(1, Math.ceil((kept[0]! + this.windowMs - now) / 1000));
    }
    kept.push(now);
    this.recent.set(client, kept);
    return undefined;
  }
}
