import { KeyedLock } from "./keyed-lock.js";

type Waiting<I, O> = { item: I; resolve: (out: O) => void; reject: (error: unknown) => void };

/**
 * Work on one key done one run at a time, each run taking together every item that arrived while
 * the one before it ran (at most `most`): a burst of a hundred items is a few runs, not a hundred
 * one after another. The run answers each item on its own (a result or an Error), or throws for all.
 * Within this process only, like `KeyedLock`.
 */
export class GatheredRuns<I, O> {
  private readonly waiting = new Map<string, Waiting<I, O>[]>();
  private readonly lock = new KeyedLock();

  constructor(
    private readonly run: (key: string, items: I[]) => Promise<(O | Error)[]>,
    private readonly most: number,
  ) {}

  add(key: string, item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      const queue = this.waiting.get(key) ?? [];
      queue.push({ item, resolve, reject });
      this.waiting.set(key, queue);
      // Every item queues a run behind the one going on; a run that finds its item already taken
      // by an earlier run has nothing to do, so each item is taken by the first run free to.
      void this.lock.run(key, () => this.runWaiting(key));
    });
  }

  private async runWaiting(key: string): Promise<void> {
    const queue = this.waiting.get(key);
    if (!queue || queue.length === 0) return;
    const taken = queue.splice(0, this.most);
    if (queue.length === 0) this.waiting.delete(key);
    try {
      const outs = await this.run(
        key,
        taken.map((w) => w.item),
      );
      taken.forEach((w, i) => {
        const out = outs[i];
        if (out instanceof Error) w.reject(out);
        else if (out === undefined) w.reject(new Error("the run gave this item no answer"));
        else w.resolve(out);
      });
    } catch (error) {
      for (const w of taken) w.reject(error);
    }
  }
}
