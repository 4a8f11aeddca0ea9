// Admission to the decision cache by text: a text is remembered from its second sighting. Each entry
// holds a statement's analysis and decision (~1 KB); remembering every one-off text (a batch of
// distinct lines, ORM text with inlined values the shape key cannot read) only promoted them into
// V8's old generation to be evicted unread: ~25% more time per statement over a stream of distinct
// texts. A slot per hash of what was seen once, overwritten by collisions (that text then needs one
// more sighting): no strings are kept, and a miss costs one pass over the text.

export class Doorkeeper {
  private readonly slots: Int32Array;
  private readonly mask: number;

  constructor(entries: number) {
    // eight slots per cache entry (4 bytes each): a text seen again after a few cache-fuls is still known
    const size = 2 ** Math.ceil(Math.log2(Math.max(1024, entries * 8)));
    this.slots = new Int32Array(size);
    this.mask = size - 1;
  }

  /** True when this text was seen before (worth remembering now); else notes it and says false. */
  admit(text: string): boolean {
    // FNV-1a over UTF-16 code units; the low bit set so that no hash is an empty slot's 0
    let h = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    // FNV's low bits mix poorly (texts that differ in their last digit crowd together): murmur3's finalizer
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    h |= 1;
    const slot = (h >>> 1) & this.mask;
    if (this.slots[slot] === h) return true;
    this.slots[slot] = h;
    return false;
  }
}
