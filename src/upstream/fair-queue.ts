// Waiting clients grouped by who they are (an agent), served in turn: the next one comes from the
// holder that has waited longest since it was last served, skipping holders that may not take more.
// A Map keeps insertion order, so moving a served holder to the end is the whole round robin.

/** A client waiting for a server of `key`, on behalf of `holder`. */
export interface Waiter<T> {
  key: string;
  holder: string;
  resolve: (value: T) => void;
  reject: (err: Error) => void;
}

export class FairQueue<W extends { holder: string }> {
  private readonly byHolder = new Map<string, W[]>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(w: W): void {
    const queue = this.byHolder.get(w.holder);
    if (queue) queue.push(w);
    else this.byHolder.set(w.holder, [w]);
    this.count++;
  }

  /** Take a waiter out (it gave up); false when it was not waiting. */
  remove(w: W): boolean {
    const queue = this.byHolder.get(w.holder);
    const i = queue ? queue.indexOf(w) : -1;
    if (i < 0) return false;
    queue!.splice(i, 1);
    if (queue!.length === 0) this.byHolder.delete(w.holder);
    this.count--;
    return true;
  }

  /** The next waiter in turn among holders `mayTake` allows; its holder goes to the back. */
  next(mayTake: (holder: string) => boolean): W | undefined {
    for (const [holder, queue] of this.byHolder) {
      if (!mayTake(holder)) continue;
      const w = queue.shift()!;
      this.byHolder.delete(holder);
      if (queue.length > 0) this.byHolder.set(holder, queue);
      this.count--;
      return w;
    }
    return undefined;
  }

  /** Every waiter, emptying the queue (the pool is closing). */
  drain(): W[] {
    const all = [...this.byHolder.values()].flat();
    this.byHolder.clear();
    this.count = 0;
    return all;
  }
}

/** Queue a waiter that gives up after `timeoutMs` with the error `onTimeout` makes (taken out of the queue then). */
export function waitInTurn<T>(
  queue: FairQueue<Waiter<T>>,
  key: string,
  holder: string,
  timeoutMs: number,
  onTimeout: () => Error,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const w: Waiter<T> = {
      key,
      holder,
      resolve: (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      reject: (e) => {
        clearTimeout(timer);
        reject(e);
      },
    };
    const timer = setTimeout(() => {
      queue.remove(w);
      reject(onTimeout());
    }, timeoutMs);
    queue.push(w);
  });
}
