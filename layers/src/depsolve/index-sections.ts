/**
 * The stored sections of a finished index, emitted from the builder's arrays. Every table the solver reads is built
 * here, once, so a stored index loads as views over its bytes; each is kept narrow (the load pays for every byte).
 */
import type { CompactStrings } from './index-compaction.ts';
import { DEP_FLAG_BITS, DEP_FLAG_MASK, DEP_KINDS, KIND } from './repo-index.ts';
import { DEP_EVR_BLOCK, DEP_HAS_EVR, DEP_NAME_SHIFT, KIND_WIDE, SOLE_PROVIDER, allocateSections, hashSlot, type PackedSections } from './index-format.ts';

const K = DEP_KINDS.length;

/** What the builder hands over: its final strings, packages (P_STRIDE each) and dependencies. */
export interface BuiltIndex {
  strings: Pick<CompactStrings, 'strBytes' | 'strOff' | 'hashes' | 'digests'>;
  pkgs: Uint32Array;
  count: number;
  /** (name << DEP_FLAG_BITS | flags, evr id) pairs; emitSections drops them (and pkgs) once copied into its buffer. */
  deps: Uint32Array;
  /** Start of kind k of package p (in dependencies) at [p * K + k]; count * K + 1 entries. */
  depStart: Uint32Array;
}

/**
 * The sections, written straight into the one buffer they are stored in (allocateSections): their sizes are counted
 * first, so no section is built apart and copied, and serializing the index is a view of that buffer.
 */
export function emitSections(built: BuiltIndex): PackedSections {
  const { strings, count, depStart } = built;
  const { strBytes, strOff, hashes, digests } = strings;
  const nStr = strOff.length - 1;
  if (nStr >= 2 ** (32 - DEP_NAME_SHIFT)) throw new Error(`too many strings for a depsolve index (${nStr})`);
  const nDeps = built.deps.length / 2;
  const { named, nNamed, versioned } = countNames(built.deps, nStr);
  const providers = countProviders(built.deps, depStart, count, nStr);
  const kindDeps = (kind: number): number => {
    let n = 0;
    for (let p = 0; p < count; p++) n += depStart[p * K + kind + 1] - depStart[p * K + kind];
    return n;
  };
  let wide = 0;
  for (let p = 0; p < count; p++) if (depStart[p * K + K - 1] - depStart[p * K] > 0xff) wide++;
  const packed = allocateSections([
    ['strBytes', 'u8', strBytes.length],
    ['strOff', 'u32', strOff.length],
    ['strHash', 'u32', Math.max(1, Math.ceil(nNamed / 0.7))],
    ['pkgs', 'u32', built.pkgs.length],
    ['digests', 'u8', digests.length],
    ['depWords', 'u32', nDeps],
    ['depEvrs', 'u32', versioned],
    ['depEvrRank', 'u32', Math.ceil(nDeps / DEP_EVR_BLOCK) + 1],
    ['wp', 'u32', nStr],
    ['wpList', 'u32', providerListLength(providers)],
    ['wcPairs', 'u32', kindDeps(KIND.conflicts) * 2],
    ['woPairs', 'u32', kindDeps(KIND.obsoletes) * 2],
    ['depBase', 'u32', count + 1],
    ['depKind', 'u8', count * K],
    ['depKindWide', 'u32', wide * K],
  ]);
  const out = packed.sections as Record<string, Uint32Array> & { strBytes: Uint8Array; digests: Uint8Array; depKind: Uint8Array };
  out.strBytes.set(strBytes);
  out.strOff.set(strOff);
  out.pkgs.set(built.pkgs);
  built.pkgs = EMPTY;
  out.digests.set(digests);
  packDeps(built.deps, out.depWords, out.depEvrs, out.depEvrRank);
  built.deps = EMPTY;
  hashDependencyNames(named, hashes, out.strHash);
  fillProviderTable(out.depWords, depStart, count, providers, out.wp, out.wpList);
  fillNamePackagePairs(out.depWords, depStart, count, KIND.conflicts, out.wcPairs);
  fillNamePackagePairs(out.depWords, depStart, count, KIND.obsoletes, out.woPairs);
  splitDepStart(depStart, count, out.depBase, out.depKind, out.depKindWide);
  return packed;
}

const EMPTY = new Uint32Array(0);

/** Which strings are dependency names (a bit each, and how many), and how many dependencies are versioned. */
function countNames(pairs: Uint32Array, nStr: number): { named: Uint32Array; nNamed: number; versioned: number } {
  const named = new Uint32Array((nStr + 31) >>> 5);
  let nNamed = 0;
  let versioned = 0;
  for (let d = 0; d < pairs.length; d += 2) {
    const name = pairs[d] >>> DEP_FLAG_BITS;
    const bit = 1 << (name & 31);
    if ((named[name >>> 5] & bit) === 0) nNamed++;
    named[name >>> 5] |= bit;
    if (pairs[d + 1]) versioned++;
  }
  return { named, nNamed, versioned };
}

/** Providers per name (a package counted once however many times it names it). */
function countProviders(pairs: Uint32Array, depStart: Uint32Array, count: number, nStr: number): Uint32Array {
  const P = KIND.provides;
  const providers = new Uint32Array(nStr);
  for (let p = 0; p < count; p++) {
    const from = depStart[p * K + P];
    const to = depStart[p * K + P + 1];
    // A package's provides are few: a scan back finds a name it repeats (a set for the rare long lists).
    const seen = to - from > 32 ? new Set<number>() : undefined;
    for (let d = from; d < to; d++) {
      const name = pairs[d * 2] >>> DEP_FLAG_BITS;
      if (seen ? seen.has(name) : repeats(pairs, from, d, name)) continue;
      seen?.add(name);
      providers[name]++;
    }
  }
  return providers;
}

function repeats(pairs: Uint32Array, from: number, d: number, name: number): boolean {
  for (let e = from; e < d; e++) if (pairs[e * 2] >>> DEP_FLAG_BITS === name) return true;
  return false;
}

/** wpList's length: the empty list, then (count, packages...) for every name with more than one provider. */
function providerListLength(providers: Uint32Array): number {
  let listLength = 1;
  for (let i = 0; i < providers.length; i++) if (providers[i] > 1) listLength += providers[i] + 1;
  return listLength;
}

/**
 * Open addressing over the dependency names only (providers, conflicts, obsoletes and package names, which every
 * package provides): versions, checksums, summaries... are never looked up. Sized for a 0.7 load, not a power of two.
 */
function hashDependencyNames(named: Uint32Array, hashes: Uint32Array, table: Uint32Array): void {
  const size = table.length;
  for (let i = 0; i < hashes.length; i++) {
    if ((named[i >>> 5] & (1 << (i & 31))) === 0) continue;
    let slot = hashSlot(hashes[i], size);
    while (table[slot] !== 0) slot = slot + 1 === size ? 0 : slot + 1;
    table[slot] = i + 1;
  }
}

/**
 * The builder's (name << DEP_FLAG_BITS | flags, evr) pairs as one word each (name << DEP_NAME_SHIFT | DEP_HAS_EVR when
 * versioned | flags) and the evr ids of the versioned ones apart (most dependencies have none), with their running
 * count every DEP_EVR_BLOCK dependencies.
 */
function packDeps(pairs: Uint32Array, depWords: Uint32Array, depEvrs: Uint32Array, depEvrRank: Uint32Array): void {
  const n = pairs.length / 2;
  let r = 0;
  for (let d = 0; d < n; d++) {
    const evr = pairs[d * 2 + 1];
    if (d % DEP_EVR_BLOCK === 0) depEvrRank[d / DEP_EVR_BLOCK] = r;
    depWords[d] = (((pairs[d * 2] >>> DEP_FLAG_BITS) << DEP_NAME_SHIFT) | (evr ? DEP_HAS_EVR : 0) | (pairs[d * 2] & DEP_FLAG_MASK)) >>> 0;
    if (evr) depEvrs[r++] = evr;
  }
  depEvrRank[depEvrRank.length - 1] = r;
}

/**
 * Who provides each name: SOLE_PROVIDER | the package when there is one (most names), else the offset in wpList of
 * (count, packages...); wpList[0] is the empty list. A package appears once per name, in package order.
 */
function fillProviderTable(depWords: Uint32Array, depStart: Uint32Array, count: number, providers: Uint32Array, wp: Uint32Array, wpList: Uint32Array): void {
  const P = KIND.provides;
  let listLength = 1;
  for (let i = 0; i < providers.length; i++) {
    if (providers[i] === 1) wp[i] = SOLE_PROVIDER;
    else if (providers[i] > 1) {
      wp[i] = listLength;
      listLength += providers[i] + 1;
    }
  }
  // wpList[off] counts the packages written so far; the last one written tells a repeated name of the same package.
  for (let p = 0; p < count; p++) {
    for (let d = depStart[p * K + P]; d < depStart[p * K + P + 1]; d++) {
      const name = depWords[d] >>> DEP_NAME_SHIFT;
      const v = wp[name];
      if (v & SOLE_PROVIDER) wp[name] = (SOLE_PROVIDER | p) >>> 0;
      else {
        const written = wpList[v];
        if (written > 0 && wpList[v + written] === p) continue;
        wpList[v + 1 + written] = p;
        wpList[v] = written + 1;
      }
    }
  }
}

/** (name, package) pairs sorted by name then package: conflicts and obsoletes are rare, a full table would waste space. */
function fillNamePackagePairs(depWords: Uint32Array, depStart: Uint32Array, count: number, kind: number, out: Uint32Array): void {
  const list: [number, number][] = [];
  for (let p = 0; p < count; p++) {
    for (let d = depStart[p * K + kind]; d < depStart[p * K + kind + 1]; d++) list.push([depWords[d] >>> DEP_NAME_SHIFT, p]);
  }
  list.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  list.forEach(([name, p], i) => {
    out[i * 2] = name;
    out[i * 2 + 1] = p;
  });
}

/**
 * Per-package dependency base (u32) and the starts of kinds 1..7 relative to it in one byte each; slot 0 (kind 0
 * always starts at the base) says KIND_WIDE when some start passes 255: then the package's row is in depKindWide.
 */
function splitDepStart(depStart: Uint32Array, count: number, depBase: Uint32Array, depKind: Uint8Array, depKindWide: Uint32Array): void {
  let w = 0;
  for (let p = 0; p <= count; p++) depBase[p] = depStart[p * K];
  for (let p = 0; p < count; p++) {
    const base = depBase[p];
    if (depStart[p * K + K - 1] - base > 0xff) {
      depKind[p * K] = KIND_WIDE;
      depKindWide[w++] = p;
      for (let k = 1; k < K; k++) depKindWide[w++] = depStart[p * K + k] - base;
    } else {
      for (let k = 1; k < K; k++) depKind[p * K + k] = depStart[p * K + k] - base;
    }
  }
}
