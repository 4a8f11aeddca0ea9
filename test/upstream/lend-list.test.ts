// The pool's list of lent servers: a Set's behaviour (insertion order, add twice keeps the place,
// delete of a non-member is a no-op) with links kept on the items.
import { describe, expect, it } from 'vitest';
import { LendList, type Lendable } from '../../src/upstream/lend-list.js';

class Item implements Lendable<Item> {
  lent = false;
  lentPrev: Item | null = null;
  lentNext: Item | null = null;
  constructor(readonly n: number) {}
}

const names = (l: LendList<Item>) => [...l].map((i) => i.n);

describe('LendList', () => {
  it('keeps the order items were added in, as a Set does, through adds and deletes anywhere', () => {
    const items = Array.from({ length: 6 }, (_, i) => new Item(i));
    const list = new LendList<Item>();
    const set = new Set<Item>();
    // a fixed pseudo-random walk of adds and deletes, checked against a Set after every step
    let seed = 7;
    for (let step = 0; step < 2000; step++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const item = items[seed % items.length];
      if ((seed >> 8) & 1) {
        list.add(item);
        set.add(item);
      } else {
        expect(list.delete(item)).toBe(set.delete(item));
      }
      expect(names(list)).toEqual([...set].map((i) => i.n));
      expect(list.size).toBe(set.size);
    }
  });

  it('lets the item being visited be deleted', () => {
    const [a, b, c] = [new Item(1), new Item(2), new Item(3)];
    const list = new LendList<Item>();
    for (const i of [a, b, c]) list.add(i);
    const seen: number[] = [];
    for (const i of list) {
      seen.push(i.n);
      list.delete(i);
    }
    expect(seen).toEqual([1, 2, 3]);
    expect(list.size).toBe(0);
    expect(names(list)).toEqual([]);
    list.add(b);
    expect(names(list)).toEqual([2]);
  });
});
