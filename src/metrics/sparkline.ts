const BARS = "▁▂▃▄▅▆▇█";

/** A one-line picture of a series, scaled between its own min and max. */
export function sparkline(values: readonly number[], width = 24): string {
  if (values.length === 0) return "";
  const step = Math.max(1, Math.ceil(values.length / width));
  const buckets: number[] = [];
  for (let i = 0; i < values.length; i += step) {
    const slice = values.slice(i, i + step);
    buckets.push(slice.reduce((a, b) => a + b, 0) / slice.length);
  }
  const min = Math.min(...buckets);
  const max = Math.max(...buckets);
  if (max === min) return BARS[max === 0 ? 0 : 3]!.repeat(buckets.length);
  return buckets.map((v) => BARS[Math.round(((v - min) / (max - min)) * (BARS.length - 1))]).join("");
}
