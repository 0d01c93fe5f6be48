/**
 * `2026-11` for a moment, in UTC: the key of a calendar month as AWS bills invalidation paths
 * (`pathsBilled`) and as the history files are named.
 */
export function monthOf(at: number): string {
  return new Date(at).toISOString().slice(0, 7);
}

/** Where an API client's share of a month's billed paths is kept, beside the month's own figure. */
export function clientBillingKey(month: string, client: string): string {
  return `${month}/${client}`;
}
