/**
 * Runs work one at a time per key, in call order, within this process: what must not interleave
 * (the posts of one thread; the joins of one distribution's open batch) queues behind what came
 * first, while work on other keys goes on. Across replicas the store's conditional writes decide;
 * this only keeps one process from racing itself into conflicts.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const run = (this.tails.get(key) ?? Promise.resolve()).then(work, work);
    const tail = run.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return run;
  }
}
