/** Edit distance (insertions, deletions, substitutions, adjacent swaps) between two short words. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The word a typo most likely meant (a command, a config key): within two edits (one for short words), else none. */
export function closestWord(typed: string, verbs: readonly string[]): string | undefined {
  const limit = typed.length <= 4 ? 1 : 2;
  let best: { verb: string; d: number } | undefined;
  for (const verb of verbs) {
    const d = distance(typed, verb);
    if (d <= limit && (!best || d < best.d)) best = { verb, d };
  }
  if (best) return best.verb;
  // A prefix of one command only (`purg`, `watche`) is a typo too.
  const prefixed = verbs.filter((v) => typed.length >= 3 && (v.startsWith(typed) || typed.startsWith(v)));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}
