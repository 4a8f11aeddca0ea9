// The servers bound to idle clients that the pool may take back, in the order they were lent. A
// server is lent and taken back once per transaction, so this is a list threaded through the servers
// themselves: adding and removing allocate nothing. A Set did the same job, but each delete left a
// hole in V8's table that the next adds filled until it was rebuilt in the runtime (1% of the proxy's
// main thread in `-M simple`). Lists on npm hold their items in nodes they allocate per add.

/** The links a LendList keeps on its items: an item is in at most one list at a time. */
export interface Lendable<T> {
  lentPrev: T | null;
  lentNext: T | null;
  lent: boolean;
}

export class LendList<T extends Lendable<T>> implements Iterable<T> {
  private head: T | null = null;
  private tail: T | null = null;
  size = 0;

  /** Appends `s`; a no-op when it is already in (it keeps its place, as in a Set). */
  add(s: T): void {
    if (s.lent) return;
    s.lent = true;
    s.lentPrev = this.tail;
    s.lentNext = null;
    if (this.tail) this.tail.lentNext = s;
    else this.head = s;
    this.tail = s;
    this.size++;
  }

  /** Removes `s`; false when it was not in. */
  delete(s: T): boolean {
    if (!s.lent) return false;
    const { lentPrev: prev, lentNext: next } = s;
    if (prev) prev.lentNext = next;
    else this.head = next;
    if (next) next.lentPrev = prev;
    else this.tail = prev;
    s.lent = false;
    s.lentPrev = s.lentNext = null;
    this.size--;
    return true;
  }

  /** Oldest first; an item may be deleted while it is visited. */
  *[Symbol.iterator](): Iterator<T> {
    for (let s = this.head; s !== null;) {
      const next = s.lentNext;
      yield s;
      s = next;
    }
  }
}
