/** The binary layout of a stored index: a header (magic, format version, JSON) and 8-aligned typed-array sections. */
const MAGIC = 'IBSDEPIX';
/** 3: raw sha256 digests, derived locations and source rpms, unreferenced strings left out; 4: flags in the dependency name;
 * 5: per-package dependency bases with u16 per-kind offsets, u16 sections; 6: one word a dependency (versions apart),
 * u8 per-kind offsets, sole providers inline, provided names numbered first, the name hash at a 0.7 load; 7: the same
 * sections, built by a primary reader that drops rich dependencies libsolv cannot parse, with the packages with
 * Supplements listed in the metadata (indexes of 6 are rebuilt on their next load). */
const FORMAT_VERSION = 7;

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
export type Section = Uint8Array | Uint16Array | Uint32Array;
const WIDTH: Record<SectionType, number> = { u8: 1, u16: 2, u32: 4 };
const textEncoder = new TextEncoder();
const HEAD_START = 16;
/**
 * Bytes left before the sections of a freshly built index for the header, written when it is serialized (the meta,
 * comps included, is still set after the build). Pages never written cost no memory.
 */
export const HEADER_ROOM = 4 << 20;

interface SectionEntry {
  name: string;
  type: SectionType;
  offset: number;
  length: number;
}

/** Sections laid out in one buffer at their stored offsets, HEADER_ROOM bytes after its start. */
export interface PackedSections {
  buffer: ArrayBuffer;
  table: SectionEntry[];
  dataBytes: number;
  sections: Record<string, Section>;
}

/** The typed-array layout of the named sections (in order): each 8-aligned after the one before. */
function layOut(sections: [string, SectionType, number][]): { table: SectionEntry[]; dataBytes: number } {
  const table: SectionEntry[] = [];
  let offset = 0;
  for (const [name, type, length] of sections) {
    table.push({ name, type, offset, length });
    offset += align8(length * WIDTH[type]);
  }
  return { table, dataBytes: offset };
}

/** One zeroed buffer holding the sections as stored, with a view of each to fill: the built index is its own stored copy. */
export function allocateSections(sections: [string, SectionType, number][]): PackedSections {
  const { table, dataBytes } = layOut(sections);
  const buffer = new ArrayBuffer(HEADER_ROOM + dataBytes);
  return { buffer, table, dataBytes, sections: viewSections(buffer, HEADER_ROOM, table) };
}

function viewSections(buffer: ArrayBuffer, dataStart: number, table: SectionEntry[]): Record<string, Section> {
  const sections: Record<string, Section> = {};
  for (const s of table) {
    const at = dataStart + s.offset;
    if (s.type === 'u32') sections[s.name] = new Uint32Array(buffer, at, s.length);
    else if (s.type === 'u16') sections[s.name] = new Uint16Array(buffer, at, s.length);
    else sections[s.name] = new Uint8Array(buffer, at, s.length);
  }
  return sections;
}

/** The header's bytes and the padded length of MAGIC, version, length and header together. */
function encodeHeader(table: SectionEntry[], meta: unknown): { header: Uint8Array; headBytes: number } {
  const header = textEncoder.encode(JSON.stringify({ meta, sections: table }));
  return { header, headBytes: align8(HEAD_START + header.length) };
}

function writeHeader(out: Uint8Array, header: Uint8Array, headBytes: number): void {
  out.set(textEncoder.encode(MAGIC), 0);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  dv.setUint32(8, FORMAT_VERSION, true);
  dv.setUint32(12, header.length, true);
  out.set(header, HEAD_START);
  out.fill(0, HEAD_START + header.length, headBytes);
}

/** Layout: MAGIC(8) | u32 version | u32 headerLen | header JSON | pad to 8 | sections (each 8-aligned). */
export function packSections(sections: Record<string, Section>, meta: unknown): Uint8Array {
  const entries = Object.entries(sections);
  const { table, dataBytes } = layOut(entries.map(([name, arr]) => [name, sectionTypeOf(arr), arr.length]));
  const { header, headBytes } = encodeHeader(table, meta);
  const out = new Uint8Array(headBytes + dataBytes);
  writeHeader(out, header, headBytes);
  entries.forEach(([, arr], i) => {
    out.set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength), headBytes + table[i].offset);
  });
  return out;
}

/**
 * packSections' bytes for sections allocateSections laid out: the header written just before them and the whole a
 * view of their buffer (no copy), unless the header outgrows HEADER_ROOM.
 */
export function packAllocated(packed: PackedSections, meta: unknown): Uint8Array {
  const { header, headBytes } = encodeHeader(packed.table, meta);
  if (headBytes > HEADER_ROOM) return packSections(packed.sections, meta);
  const out = new Uint8Array(packed.buffer, HEADER_ROOM - headBytes, headBytes + packed.dataBytes);
  writeHeader(out, header, headBytes);
  return out;
}

function sectionTypeOf(arr: Section): SectionType {
  return arr instanceof Uint32Array ? 'u32' : arr instanceof Uint16Array ? 'u16' : 'u8';
}

export function unpackSections(input: Uint8Array): { sections: Record<string, Section>; meta: unknown; headerBytes: number } {
  // Typed array views need 4-byte alignment of the underlying offset.
  const buf = input.byteOffset % 8 === 0 ? input : new Uint8Array(input);
  if (buf.length < 16 || textDecoder.decode(buf.subarray(0, 8)) !== MAGIC) throw new Error('not a depsolve index blob');
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const version = dv.getUint32(8, true);
  if (version !== FORMAT_VERSION) throw new Error(`unsupported depsolve index format ${version}`);
  const headerLen = dv.getUint32(12, true);
  const header = JSON.parse(textDecoder.decode(buf.subarray(HEAD_START, HEAD_START + headerLen))) as { meta: unknown; sections: SectionEntry[] };
  const dataStart = align8(HEAD_START + headerLen);
  for (const s of header.sections) {
    if (!Object.hasOwn(WIDTH, s.type)) throw new Error(`unknown depsolve index section type ${s.type}`);
    if (dataStart + s.offset + s.length * WIDTH[s.type] > buf.length) throw new Error('truncated depsolve index blob');
  }
  return { sections: viewSections(buf.buffer as ArrayBuffer, buf.byteOffset + dataStart, header.sections), meta: header.meta, headerBytes: headerLen };
}

function align8(n: number): number {
  return (n + 7) & ~7;
}
