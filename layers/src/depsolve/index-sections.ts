/**
 * The stored sections of a finished index, emitted from the builder's arrays. Every table the solver reads is built
 * here, once, so a stored index loads as views over its bytes; each is kept narrow (the load pays for every byte).
 */
import type { CompactStrings } from './index-compaction.ts';
import { DEP_FLAG_BITS, DEP_FLAG_MASK, DEP_KINDS, KIND } from './repo-index.ts';
import { DEP_EVR_BLOCK, DEP_HAS_EVR, DEP_NAME_SHIFT, KIND_WIDE, SOLE_PROVIDER, hashSlot } from './index-format.ts';

type Section = Uint8Array | Uint16Array | Uint32Array;
const K = DEP_KINDS.length;

/** What the builder hands over: its final strings, packages (P_STRIDE each) and dependencies. */
export interface BuiltIndex {
  strings: Pick<CompactStrings, 'strBytes' | 'strOff' | 'hashes' | 'digests'>;
  pkgs: Uint32Array;
  count: number;
  /** (name << DEP_FLAG_BITS | flags, evr id) pairs. */
  deps: Uint32Array;
  /** Start of kind k of package p (in dependencies) at [p * K + k]; count * K + 1 entries. */
  depStart: Uint32Array;
}

export function emitSections({ strings, pkgs, count, deps, depStart }: BuiltIndex): Record<string, Section> {
  const { strBytes, strOff, hashes, digests } = strings;
  const nStr = strOff.length - 1;
  if (nStr >= 2 ** (32 - DEP_NAME_SHIFT)) throw new Error(`too many strings for a depsolve index (${nStr})`);
  const { depWords, depEvrs, depEvrRank } = packDeps(deps);
  return {
    strBytes,
    strOff,
    strHash: hashDependencyNames(depWords, hashes, nStr),
    pkgs,
    digests,
    depWords,
    depEvrs,
    depEvrRank,
    ...providerTable(depWords, depStart, count, nStr),
    wcPairs: namePackagePairs(depWords, depStart, count, KIND.conflicts),
    woPairs: namePackagePairs(depWords, depStart, count, KIND.obsoletes),
    ...splitDepStart(depStart, count),
  };
}

/**
 * Open addressing over the dependency names only (providers, conflicts, obsoletes and package names, which every
 * package provides): versions, checksums, summaries... are never looked up. Sized for a 0.7 load, not a power of two.
 */
function hashDependencyNames(depWords: Uint32Array, hashes: Uint32Array, nStr: number): Uint32Array {
  const named = new Uint8Array(nStr);
  let nNamed = 0;
  for (let d = 0; d < depWords.length; d++) {
    const name = depWords[d] >>> DEP_NAME_SHIFT;
    if (named[name] === 0) nNamed++;
    named[name] = 1;
  }
  const size = Math.max(1, Math.ceil(nNamed / 0.7));
  const table = new Uint32Array(size);
  for (let i = 0; i < nStr; i++) {
    if (named[i] === 0) continue;
    let slot = hashSlot(hashes[i], size);
    while (table[slot] !== 0) slot = slot + 1 === size ? 0 : slot + 1;
    table[slot] = i + 1;
  }
  return table;
}

/**
 * The builder's (name << DEP_FLAG_BITS | flags, evr) pairs as one word each (name << DEP_NAME_SHIFT | DEP_HAS_EVR when
 * versioned | flags) and the evr ids of the versioned ones apart (most dependencies have none), with their running
 * count every DEP_EVR_BLOCK dependencies.
 */
function packDeps(pairs: Uint32Array): { depWords: Uint32Array; depEvrs: Uint32Array; depEvrRank: Uint32Array } {
  const n = pairs.length / 2;
  const depWords = new Uint32Array(n);
  const depEvrRank = new Uint32Array(Math.ceil(n / DEP_EVR_BLOCK) + 1);
  let versioned = 0;
  for (let d = 0; d < n; d++) {
    const evr = pairs[d * 2 + 1];
    depWords[d] = (((pairs[d * 2] >>> DEP_FLAG_BITS) << DEP_NAME_SHIFT) | (evr ? DEP_HAS_EVR : 0) | (pairs[d * 2] & DEP_FLAG_MASK)) >>> 0;
    if (evr) versioned++;
  }
  const depEvrs = new Uint32Array(versioned);
  let r = 0;
  for (let d = 0; d < n; d++) {
    if (d % DEP_EVR_BLOCK === 0) depEvrRank[d / DEP_EVR_BLOCK] = r;
    if (depWords[d] & DEP_HAS_EVR) depEvrs[r++] = pairs[d * 2 + 1];
  }
  depEvrRank[depEvrRank.length - 1] = r;
  return { depWords, depEvrs, depEvrRank };
}

/**
 * Who provides each name: SOLE_PROVIDER | the package when there is one (most names), else the offset in wpList of
 * (count, packages...); wpList[0] is the empty list. A package appears once per name, in package order.
 */
function providerTable(depWords: Uint32Array, depStart: Uint32Array, count: number, nStr: number): { wp: Uint32Array; wpList: Uint32Array } {
  const P = KIND.provides;
  // Providers per name (a package counted once however many times it names it), then wp from the counts in place.
  const wp = new Uint32Array(nStr);
  const last = new Int32Array(nStr).fill(-1);
  for (let p = 0; p < count; p++) {
    for (let d = depStart[p * K + P]; d < depStart[p * K + P + 1]; d++) {
      const name = depWords[d] >>> DEP_NAME_SHIFT;
      if (last[name] !== p) wp[name]++;
      last[name] = p;
    }
  }
  let listLength = 1;
  for (let i = 0; i < nStr; i++) {
    const providers = wp[i];
    if (providers === 1) wp[i] = SOLE_PROVIDER;
    else if (providers > 1) {
      wp[i] = listLength;
      listLength += providers + 1;
    }
  }
  // wpList[off] counts the packages written so far; the last one written tells a repeated name of the same package.
  const wpList = new Uint32Array(listLength);
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
  return { wp, wpList };
}

/** (name, package) pairs sorted by name then package: conflicts and obsoletes are rare, a full table would waste space. */
function namePackagePairs(depWords: Uint32Array, depStart: Uint32Array, count: number, kind: number): Uint32Array {
  const list: [number, number][] = [];
  for (let p = 0; p < count; p++) {
    for (let d = depStart[p * K + kind]; d < depStart[p * K + kind + 1]; d++) list.push([depWords[d] >>> DEP_NAME_SHIFT, p]);
  }
  list.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out = new Uint32Array(list.length * 2);
  list.forEach(([name, p], i) => {
    out[i * 2] = name;
    out[i * 2 + 1] = p;
  });
  return out;
}

/**
 * Per-package dependency base (u32) and the starts of kinds 1..7 relative to it in one byte each; slot 0 (kind 0
 * always starts at the base) says KIND_WIDE when some start passes 255: then the package's row is in depKindWide.
 */
function splitDepStart(depStart: Uint32Array, count: number): { depBase: Uint32Array; depKind: Uint8Array; depKindWide: Uint32Array } {
  const depBase = new Uint32Array(count + 1);
  const depKind = new Uint8Array(count * K);
  const wide: number[] = [];
  for (let p = 0; p <= count; p++) depBase[p] = depStart[p * K];
  for (let p = 0; p < count; p++) {
    const base = depBase[p];
    if (depStart[p * K + K - 1] - base > 0xff) {
      depKind[p * K] = KIND_WIDE;
      wide.push(p);
      for (let k = 1; k < K; k++) wide.push(depStart[p * K + k] - base);
    } else {
      for (let k = 1; k < K; k++) depKind[p * K + k] = depStart[p * K + k] - base;
    }
  }
  return { depBase, depKind, depKindWide: Uint32Array.from(wide) };
}
