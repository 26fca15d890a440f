/** Byte-string interning for the index builder, and the hash both the builder and the index lookups use. */

/** FNV-1a over bytes. */
export function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Interns byte strings without creating JavaScript strings: an arena plus an open-addressing hash table whose slots
 * hold (id + 1, hash, arena offset, length), so a probe reads one cache line before touching the arena.
 */
export class ByteStringTable {
  arena = new Uint8Array(1 << 20);
  used = 0;
  offsets = new Uint32Array(1 << 16);
  private hashes = new Uint32Array(1 << 16);
  count = 0;
  /** At slot * 4: id + 1 (0 = empty), hash, arena offset, length. */
  private table = new Uint32Array(4 << 18);
  private mask = (1 << 18) - 1;
  // A Buffer like the parser's input, so internBytes sees one array type (monomorphic, faster).
  private scratch = Buffer.alloc(256);

  constructor() {
    this.internBytes(this.scratch, 0, 0); // id 0 = ''
  }

  internBytes(src: Uint8Array, start: number, end: number): number {
    const len = end - start;
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) {
      h ^= src[i];
      h = Math.imul(h, 0x01000193);
    }
    h >>>= 0;
    const table = this.table;
    const mask = this.mask;
    let slot = h & mask;
    for (;;) {
      const t = slot * 4;
      const e = table[t];
      if (e === 0) break;
      if (table[t + 1] === h && table[t + 3] === len) {
        const a = table[t + 2];
        const arena = this.arena;
        let j = 0;
        while (j < len && arena[a + j] === src[start + j]) j++;
        if (j === len) return e - 1;
      }
      slot = (slot + 1) & mask;
    }
    // New string.
    const id = this.count;
    if (this.used + len > this.arena.length) {
      const bigger = new Uint8Array(Math.max(this.arena.length * 2, this.used + len));
      bigger.set(this.arena.subarray(0, this.used));
      this.arena = bigger;
    }
    // A plain loop: short strings, and subarray() on a Buffer allocates an object per call.
    const arena = this.arena;
    const at = this.used;
    for (let j = 0; j < len; j++) arena[at + j] = src[start + j];
    if (id + 2 > this.offsets.length) {
      const bigger = new Uint32Array(this.offsets.length * 2);
      bigger.set(this.offsets);
      this.offsets = bigger;
      const hs = new Uint32Array(this.offsets.length);
      hs.set(this.hashes);
      this.hashes = hs;
    }
    this.hashes[id] = h;
    this.offsets[id] = at;
    this.used = at + len;
    this.offsets[id + 1] = this.used;
    this.count++;
    const t = slot * 4;
    table[t] = id + 1;
    table[t + 1] = h;
    table[t + 2] = at;
    table[t + 3] = len;
    if (this.count * 2 > mask + 1) this.grow();
    return id;
  }

  /** FNV-1a hash of string `id` (as hashBytes computes it). */
  hashOf(id: number): number {
    return this.hashes[id];
  }

  /** Pre-size for about `strings` strings of `bytes` bytes in all, sparing the doubling copies and rehashes. */
  reserve(strings: number, bytes: number): void {
    if (bytes > this.arena.length) {
      const bigger = new Uint8Array(bytes);
      bigger.set(this.arena.subarray(0, this.used));
      this.arena = bigger;
    }
    if (strings + 2 > this.offsets.length) {
      const offs = new Uint32Array(strings + 2);
      offs.set(this.offsets.subarray(0, this.count + 1));
      this.offsets = offs;
      const hs = new Uint32Array(strings + 2);
      hs.set(this.hashes.subarray(0, this.count));
      this.hashes = hs;
    }
    let size = this.mask + 1;
    while (size < strings * 2) size *= 2;
    if (size > this.mask + 1) this.rehash(size);
  }

  intern(s: string | undefined): number {
    if (!s) return 0;
    if (this.scratch.length < s.length * 3) this.scratch = Buffer.alloc(s.length * 3 + 16);
    const written = this.scratch.write(s, 0, 'utf8');
    return this.internBytes(this.scratch, 0, written);
  }

  private grow(): void {
    this.rehash((this.mask + 1) * 2);
  }

  private rehash(size: number): void {
    const table = new Uint32Array(size * 4);
    const mask = size - 1;
    const offs = this.offsets;
    for (let id = 0; id < this.count; id++) {
      const h = this.hashes[id];
      let slot = h & mask;
      while (table[slot * 4] !== 0) slot = (slot + 1) & mask;
      const t = slot * 4;
      table[t] = id + 1;
      table[t + 1] = h;
      table[t + 2] = offs[id];
      table[t + 3] = offs[id + 1] - offs[id];
    }
    this.table = table;
    this.mask = mask;
  }
}
