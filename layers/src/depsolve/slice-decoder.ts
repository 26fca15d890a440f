/**
 * Buffer's own slice decoders. `toString(encoding, start, end)` wraps them with argument checks and an encoding
 * look-up that cost a cold process about 1 µs a call, eight times the decoding of a short string; an index decodes
 * thousands of names, versions and digests per resolution.
 */
export interface SliceDecoder {
  utf8Slice(start: number, end: number): string;
  hexSlice(start: number, end: number): string;
}

/** A decoder over the bytes (no copy): the Buffer itself where node has the methods, else a toString wrapper. */
export function sliceDecoder(bytes: Uint8Array): SliceDecoder {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as Buffer & Partial<SliceDecoder>;
  if (typeof b.utf8Slice === 'function' && typeof b.hexSlice === 'function') return b as SliceDecoder;
  return { utf8Slice: (start, end) => b.toString('utf8', start, end), hexSlice: (start, end) => b.toString('hex', start, end) };
}
