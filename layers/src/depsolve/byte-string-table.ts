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
 * Interns byte strings without creating JavaScript strings: an arena plus an open-addressing hash table whose 8-byte
 * slots hold (id + 1, hash); only a slot whose hash matches reads the string's offsets and bytes.
 */
export class ByteStringTable {
  arena = new Uint8Array(1 << 20);
  used = 0;
  offsets = new Uint32Array(1 << 16);
  private hashes = new Uint32Array(1 << 16);
  count = 0;
  /** At slot * 2: id + 1 (0 = empty), hash. */
  private table = new Uint32Array(2 << 16);
  private mask = (1 << 16) - 1;
  // A Buffer like the parser's input, so internBytes sees one array type (monomorphic, faster).
  private scratch = Buffer.alloc(256);

  constructor() {
    this.internBytes(this.scratch, 0, 0); // id 0 = ''
  }

  internBytes(src: Uint8Array, start: number, end: number): number {
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) {
      h ^= src[i];
      h = Math.imul(h, 0x01000193);
    }
    return this.internHashed(src, start, end, h >>> 0);
  }

  /** internBytes with the bytes' hashBytes value already known (the parser hashes while it scans). */
  internHashed(src: Uint8Array, start: number, end: number, h: number): number {
    if (this.mask < 0) this.rehash(1 << Math.ceil(Math.log2(this.count * 2 + 16)));
    const len = end - start;
    const table = this.table;
    const mask = this.mask;
    let slot = h & mask;
    const offsets = this.offsets;
    for (;;) {
      const e = table[slot * 2];
      if (e === 0) break;
      if (table[slot * 2 + 1] === h) {
        const a = offsets[e - 1];
        if (offsets[e] - a === len) {
          const arena = this.arena;
          let j = 0;
          while (j < len && arena[a + j] === src[start + j]) j++;
          if (j === len) return e - 1;
        }
      }
      slot = (slot + 1) & mask;
    }
    // New string.
    const id = this.count;
    if (this.used + len > this.arena.length) {
      const bigger = new Uint8Array(Math.max(Math.ceil(this.arena.length * 1.5), this.used + len));
      bigger.set(this.arena.subarray(0, this.used));
      this.arena = bigger;
    }
    // A plain loop: short strings, and subarray() on a Buffer allocates an object per call.
    const arena = this.arena;
    const at = this.used;
    for (let j = 0; j < len; j++) arena[at + j] = src[start + j];
    if (id + 2 > this.offsets.length) {
      const bigger = new Uint32Array(Math.ceil(this.offsets.length * 1.5));
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
    table[slot * 2] = id + 1;
    table[slot * 2 + 1] = h;
    // Grown at a 0.7 load: linear probes over 8-byte slots stay within a cache line or two.
    if (this.count > (mask + 1) * 0.7) this.grow();
    return id;
  }

  /** hashBytes of every string, by id. */
  hashList(): Uint32Array {
    return this.hashes.subarray(0, this.count);
  }

  /** Drop the lookup table (the strings stay readable): the index is built, nothing more is interned. */
  release(): void {
    this.table = new Uint32Array(0);
    this.mask = -1;
  }

  /** FNV-1a hash of string `id` (as hashBytes computes it). */
  hashOf(id: number): number {
    return this.hashes[id];
  }

  /** Pre-size for up to `strings` strings of `bytes` bytes in all (the table for `likely` of them), sparing the copies and rehashes. */
  reserve(strings: number, bytes: number, likely = strings): void {
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
    while (size * 0.7 < likely) size *= 2;
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
    const table = new Uint32Array(size * 2);
    const mask = size - 1;
    for (let id = 0; id < this.count; id++) {
      const h = this.hashes[id];
      let slot = h & mask;
      while (table[slot * 2] !== 0) slot = (slot + 1) & mask;
      table[slot * 2] = id + 1;
      table[slot * 2 + 1] = h;
    }
    this.table = table;
    this.mask = mask;
  }
}
