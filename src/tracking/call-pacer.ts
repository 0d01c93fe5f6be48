/**
 * Paces calls AWS limits per account or per resource (CreateInvalidation ~0.5/s per account,
 * UpdateDistribution a few a minute per distribution): a token bucket per key, whose rate halves
 * when AWS throttles anyway and creeps back up with each call that gets through (AIMD), so the bot
 * slows down instead of retrying into the limit.
 */
export type PacerSettings = {
  /** Calls per second a key may make, at most (the configured rate). */
  perSecond: number;
  /** Calls a key may make at once after a quiet spell. */
  burst: number;
};

type Bucket = { tokens: number; at: number; rate: number };

/** The slowest a throttled key is paced: a fraction of the configured rate. */
const SLOWEST_SHARE = 1 / 16;
/** Each call that gets through gives back this share of the configured rate. */
const RECOVERY_SHARE = 1 / 8;

export class CallPacer {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly settings: PacerSettings) {}

  private bucket(key: string, now: number): Bucket {
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: this.settings.burst, at: now, rate: this.settings.perSecond };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(this.settings.burst, b.tokens + ((now - b.at) / 1000) * b.rate);
    b.at = now;
    return b;
  }

  /** How many ms until the key may call (0: now); takes nothing. */
  peek(key: string, now: number): number {
    const b = this.bucket(key, now);
    return b.tokens >= 1 ? 0 : Math.ceil(((1 - b.tokens) / b.rate) * 1000);
  }

  /**
   * Takes a call's token now and returns 0, or returns how many ms until one is free (nothing
   * taken). Taken at once, so callers at the same instant cannot all see the last token.
   */
  tryTake(key: string, now: number): number {
    const wait = this.peek(key, now);
    if (wait === 0) this.bucket(key, now).tokens -= 1;
    return wait;
  }

  /** Gives back a token taken for a call that was not made after all. */
  refund(key: string, now: number): void {
    const b = this.bucket(key, now);
    b.tokens = Math.min(this.settings.burst, b.tokens + 1);
  }

  /**
   * How long, at the key's current pace, until `ahead` more calls than the bucket holds now have
   * gone out: what a thread is told when its call is queued behind others.
   */
  waitFor(key: string, ahead: number, now: number): number {
    const b = this.bucket(key, now);
    return Math.max(0, Math.ceil(((ahead + 1 - b.tokens) / b.rate) * 1000));
  }

  /** AWS throttled a call of this key: halve its pace (no slower than a sixteenth), and empty it. */
  throttled(key: string, now: number): void {
    const b = this.bucket(key, now);
    b.rate = Math.max(this.settings.perSecond * SLOWEST_SHARE, b.rate / 2);
    b.tokens = Math.min(b.tokens, 0);
  }

  /** A call of this key got through: its pace creeps back towards the configured rate. */
  succeeded(key: string, now: number): void {
    const b = this.bucket(key, now);
    b.rate = Math.min(this.settings.perSecond, b.rate + this.settings.perSecond * RECOVERY_SHARE);
  }

  /** The key's pace now, in calls per second (for the log and the health report). */
  rate(key: string): number {
    return this.buckets.get(key)?.rate ?? this.settings.perSecond;
  }
}
