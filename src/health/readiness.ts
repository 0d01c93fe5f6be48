/** One dependency's state at its last check. */
export type Check = { ok: boolean; at: number; problem?: string };

/**
 * What `GET /readyz` reports: the bot is ready when every dependency passed its last check (the
 * config loaded, the store open, Slack and AWS answering). Checks are recorded by whoever makes
 * them; this only keeps the latest of each.
 */
export class Readiness {
  private readonly checks = new Map<string, Check>();

  record(name: string, check: Check): void {
    this.checks.set(name, check);
  }

  /** Ready only when every expected check has been made and passed. */
  report(expected: readonly string[]): {
    ready: boolean;
    checks: Record<string, Check | { ok: false; problem: string }>;
  } {
    const checks = Object.fromEntries(
      expected.map((name) => [
        name,
        this.checks.get(name) ?? { ok: false as const, problem: "not checked yet" },
      ]),
    );
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  }
}
