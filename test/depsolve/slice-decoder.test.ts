import { describe, expect, it, vi } from 'vitest';
import { sliceDecoder } from '../../layers/src/depsolve/slice-decoder.ts';

const bytes = new Uint8Array([0x00, ...Buffer.from('héllo wörld ✓', 'utf8'), 0xde, 0xad, 0xbe, 0xef]);
const text = Buffer.from(bytes);

describe('slice decoder', () => {
  it('decodes UTF-8 and hex slices of a view at an offset as Buffer#toString does, without copying', () => {
    const backing = new Uint8Array(bytes.length + 8);
    backing.set(bytes, 8);
    const view = backing.subarray(8);
    const d = sliceDecoder(view);
    const end = bytes.length - 4;
    expect(d.utf8Slice(1, end)).toBe('héllo wörld ✓');
    expect(d.utf8Slice(1, 6)).toBe(text.toString('utf8', 1, 6));
    expect(d.hexSlice(end, bytes.length)).toBe('deadbeef');
    expect(d.hexSlice(0, 2)).toBe('0068');
    backing[9] = 0x48; // the decoder reads the bytes, not a copy
    expect(d.utf8Slice(1, 2)).toBe('H');
  });

  it('falls back to toString where a Buffer lacks the slice methods, with the same results', () => {
    // A runtime whose Buffer has no utf8Slice/hexSlice (node's toString needs them itself, so they are hidden from
    // sliceDecoder only, on the instance it makes).
    const from = Buffer.from.bind(Buffer) as (...args: unknown[]) => Buffer;
    const spy = vi.spyOn(Buffer, 'from').mockImplementation(((...args: unknown[]) => {
      const real = from(...args);
      return new Proxy(real, {
        get: (t, k) => (k === 'utf8Slice' || k === 'hexSlice' ? undefined : typeof Reflect.get(t, k) === 'function' ? (Reflect.get(t, k) as Function).bind(t) : Reflect.get(t, k)),
      });
    }) as typeof Buffer.from);
    try {
      const d = sliceDecoder(bytes);
      expect(typeof (d as { toString?: unknown }).toString).toBe('function');
      expect((d as unknown as Buffer).length).toBeUndefined(); // the wrapper, not the Buffer
      expect(d.utf8Slice(1, bytes.length - 4)).toBe('héllo wörld ✓');
      expect(d.hexSlice(0, bytes.length)).toBe(text.toString('hex'));
    } finally {
      spy.mockRestore();
    }
  });
});
