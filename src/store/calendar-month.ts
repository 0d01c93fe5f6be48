/**
 * `2026-11` for a moment, in UTC: the key of a calendar month as AWS bills invalidation paths
 * (`pathsBilled`) and as the history files are named.
 */
export function monthOf(at: number): string {
  return new Date(at).toISOString().slice(0, 7);
}
