import pLimit from "p-limit";

/** Runs `work` on every item, at most `limit` at a time; the first failure is thrown after all ran. */
export async function forEachConcurrently<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  const slot = pLimit(limit);
  const outcomes = await Promise.allSettled(items.map((item) => slot(() => work(item))));
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
  if (failed) throw failed.reason;
}
