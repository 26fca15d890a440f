/** The binary layout of a stored index: a header (magic, format version, JSON) and 8-aligned typed-array sections. */
const MAGIC = 'IBSDEPIX';
/** 3: raw sha256 digests, derived locations and source rpms, unreferenced strings left out; 4: flags in the dependency name;
 * 5: per-package dependency bases with u16 per-kind offsets, u16 sections; 6: one word a dependency (versions apart),
 * u8 per-kind offsets, sole providers inline, provided names numbered first, the name hash at a 0.7 load. */
const FORMAT_VERSION = 6;

/** Stored dependency word: name id << DEP_NAME_SHIFT | DEP_HAS_EVR when versioned | flags (REL_*, DEP_PRE, DEP_RICH). */
export const DEP_NAME_SHIFT = 6;
export const DEP_HAS_EVR = 32;
/** depEvrRank holds the number of versioned dependencies before every DEP_EVR_BLOCK-th dependency. */
export const DEP_EVR_BLOCK = 16;
/** depKind slot 0 (kind 0 starts at the package's base): the package's per-kind starts are a depKindWide row. */
export const KIND_WIDE = 1;
/** A provider table entry with this bit is the name's only provider; without it, an offset in wpList. */
export const SOLE_PROVIDER = 0x80000000;

/** Slot of a 32-bit hash in a table of `size` slots (any size: the high bits scaled, exact in doubles). */
export function hashSlot(hash: number, size: number): number {
  return Math.floor(((hash >>> 8) * size) / 16777216);
}
const textDecoder = new TextDecoder();
type SectionType = 'u8' | 'u16' | 'u32';
const WIDTH: Record<SectionType, number> = { u8: 1, u16: 2, u32: 4 };
const textEncoder = new TextEncoder();

/** Layout: MAGIC(8) | u32 version | u32 headerLen | header JSON | pad to 8 | sections (each 8-aligned). */
export function packSections(sections: Record<string, Uint8Array | Uint16Array | Uint32Array>, meta: unknown): Uint8Array {
  const entries = Object.entries(sections);
  const table: { name: string; type: SectionType; offset: number; length: number }[] = [];
  let offset = 0;
  for (const [name, arr] of entries) {
    table.push({ name, type: arr instanceof Uint32Array ? 'u32' : arr instanceof Uint16Array ? 'u16' : 'u8', offset, length: arr.length });
    offset += align8(arr.byteLength);
  }
  const header = textEncoder.encode(JSON.stringify({ meta, sections: table }));
  const headStart = 16;
  const dataStart = align8(headStart + header.length);
  const out = new Uint8Array(dataStart + offset);
  out.set(textEncoder.encode(MAGIC), 0);
  const dv = new DataView(out.buffer);
  dv.setUint32(8, FORMAT_VERSION, true);
  dv.setUint32(12, header.length, true);
  out.set(header, headStart);
  entries.forEach(([, arr], i) => {
    out.set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength), dataStart + table[i].offset);
  });
  return out;
}

export function unpackSections(input: Uint8Array): { sections: Record<string, Uint8Array | Uint16Array | Uint32Array>; meta: unknown; headerBytes: number } {
  // Typed array views need 4-byte alignment of the underlying offset.
  const buf = input.byteOffset % 8 === 0 ? input : new Uint8Array(input);
  if (buf.length < 16 || textDecoder.decode(buf.subarray(0, 8)) !== MAGIC) throw new Error('not a depsolve index blob');
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const version = dv.getUint32(8, true);
  if (version !== FORMAT_VERSION) throw new Error(`unsupported depsolve index format ${version}`);
  const headerLen = dv.getUint32(12, true);
  const header = JSON.parse(textDecoder.decode(buf.subarray(16, 16 + headerLen))) as {
    meta: unknown;
    sections: { name: string; type: SectionType; offset: number; length: number }[];
  };
  const dataStart = align8(16 + headerLen);
  const sections: Record<string, Uint8Array | Uint16Array | Uint32Array> = {};
  for (const s of header.sections) {
    const at = buf.byteOffset + dataStart + s.offset;
    if (!Object.hasOwn(WIDTH, s.type)) throw new Error(`unknown depsolve index section type ${s.type}`);
    if (dataStart + s.offset + s.length * WIDTH[s.type] > buf.length) throw new Error('truncated depsolve index blob');
    if (s.type === 'u32') sections[s.name] = new Uint32Array(buf.buffer, at, s.length);
    else if (s.type === 'u16') sections[s.name] = new Uint16Array(buf.buffer, at, s.length);
    else sections[s.name] = new Uint8Array(buf.buffer, at, s.length);
  }
  return { sections, meta: header.meta, headerBytes: headerLen };
}

function align8(n: number): number {
  return (n + 7) & ~7;
}
