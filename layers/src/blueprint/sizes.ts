/**
 * Data sizes as blueprints and the CLI write them. Blueprint sizes follow osbuild/images `pkg/datasizes` (a number,
 * optionally with a decimal part, and kB/KiB/MB/MiB/GB/GiB/TB/TiB; no unit = bytes), so every size upstream accepts
 * works here too. The CLI's `--size` follows composer-cli instead: a bare number is MiB.
 */
import { ValidationError } from '../errors.ts';

const UNITS: Record<string, number> = {
  '': 1, b: 1,
  kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12,
  kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4,
};

/** Single-letter units (`10G`, `512M`) as qemu-img, truncate and dd read them: powers of 1024. */
const SHORT_UNITS: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Largest size we accept: sizes must stay exact in a JS number (2^53 bytes = 8 PiB). */
export const MAX_SIZE = Number.MAX_SAFE_INTEGER;

const UNIT_LIST = 'B, kB, KiB, MB, MiB, GB, GiB, TB, TiB';

/** Number and unit of a size text; undefined when it is not "<number>[ ]<letters>". */
function splitSize(text: string): { amount: number; unit: string } | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  return m ? { amount: Number(m[1]), unit: m[2].toLowerCase() } : undefined;
}

function toBytes(amount: number, multiple: number, text: string, field: string): number {
  // datasizes rounds fractional results ("1.5" → 2, "0.3 GiB" → 322122547).
  const bytes = Math.round(amount * multiple);
  if (!Number.isSafeInteger(bytes)) throw new ValidationError(field, `size "${text}" overflows (maximum ${MAX_SIZE} bytes)`);
  return bytes;
}

/** Bytes from a number or a string with unit ("500 MiB", "1GiB", "1.5 GiB", "2147483648"); 400 naming the field otherwise. */
export function parseSize(value: number | string, field: string): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw new ValidationError(field, `size ${value} must be a non-negative integer below 2^53 bytes`);
    return value;
  }
  const parts = typeof value === 'string' ? splitSize(value) : undefined;
  const multiple = parts ? UNITS[parts.unit] : undefined;
  if (!parts || multiple === undefined) throw new ValidationError(field, `"${String(value)}" is not a size (use bytes or a unit: ${UNIT_LIST})`);
  return toBytes(parts.amount, multiple, value, field);
}

/**
 * Bytes from a command-line size: a bare number is MiB (composer-cli's `--size`), otherwise any blueprint unit or a
 * single letter K/M/G/T (powers of 1024): "4096", "4GiB", "4096MiB", "10G", "512M", "1TB", "4294967296B".
 */
export function parseCliSize(text: string, field: string): number {
  const parts = splitSize(text);
  const multiple = parts ? (parts.unit === '' ? 1024 ** 2 : (UNITS[parts.unit] ?? SHORT_UNITS[parts.unit])) : undefined;
  if (!parts || multiple === undefined) {
    throw new ValidationError(field, `"${text}" is not a size (a number of MiB, or a number with a unit: ${UNIT_LIST}, or K, M, G, T)`);
  }
  return toBytes(parts.amount, multiple, text, field);
}
