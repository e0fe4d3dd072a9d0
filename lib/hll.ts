/**
 * HyperLogLog distinct counting (Flajolet et al.), for "affected contacts" over windows too large
 * to count exactly on every dashboard refresh. 2^10 registers: 1 KiB per sketch, ~3% standard
 * error. Sketches of disjoint or overlapping sets merge by register-wise max.
 */
export const HLL_PRECISION = 10;
export const HLL_REGISTERS = 1 << HLL_PRECISION;

export function emptySketch(): Uint8Array {
  return new Uint8Array(HLL_REGISTERS);
}

/** 32-bit FNV-1a with a murmur3 finaliser, so nearby strings spread over every bit. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Adds one item; returns true when a register changed (the sketch must be saved). */
export function addToSketch(sketch: Uint8Array, item: string): boolean {
  const h = hash32(item);
  const index = h >>> (32 - HLL_PRECISION);
  const rest = (h << HLL_PRECISION) >>> 0;
  // Position of the first 1 bit in the remaining 22 bits (22 + 1 when they are all zero).
  const rank = rest === 0 ? 32 - HLL_PRECISION + 1 : Math.clz32(rest) + 1;
  if (rank > sketch[index]!) {
    sketch[index] = rank;
    return true;
  }
  return false;
}

/** Register-wise max of `from` into `into`; whether `into` changed. */
export function mergeSketch(into: Uint8Array, from: Uint8Array): boolean {
  let changed = false;
  for (let i = 0; i < HLL_REGISTERS; i++) {
    if (from[i]! > into[i]!) {
      into[i] = from[i]!;
      changed = true;
    }
  }
  return changed;
}

/**
 * Set registers beyond which a sketch is stored dense. Below it the sparse form (2 bytes per set
 * register) is smaller and, under ~1000 bytes, fits in its table's b-tree page: a dense 1 KiB
 * sketch spills into an overflow page of its own (4 KiB) in the WITHOUT ROWID sketch tables.
 */
const SPARSE_MAX_REGISTERS = 440;
// A rank is at most 32 - HLL_PRECISION + 1 = 23: 6 bits beside a 10-bit register index.
const RANK_BITS = 6;

/**
 * The form a sketch is stored in (contact_sketch_hour/day.registers): the 1 KiB of registers
 * (dense), or for the many buckets with few contacts, one big-endian 16-bit (index << 6 | rank)
 * per set register (sparse). The length tells them apart: dense is exactly 1 KiB, sparse shorter.
 */
export function encodeSketch(sketch: Uint8Array): Uint8Array {
  let set = 0;
  for (let i = 0; i < HLL_REGISTERS; i++) if (sketch[i] !== 0) set++;
  if (set > SPARSE_MAX_REGISTERS) return sketch;
  const out = new Uint8Array(set * 2);
  let o = 0;
  for (let i = 0; i < HLL_REGISTERS; i++) {
    const rank = sketch[i]!;
    if (rank === 0) continue;
    const entry = (i << RANK_BITS) | rank;
    out[o++] = entry >>> 8;
    out[o++] = entry & 0xff;
  }
  return out;
}

/** Register-wise max of a stored sketch (either form, see encodeSketch) into `into`. */
export function mergeStoredSketch(into: Uint8Array, stored: Uint8Array): void {
  if (stored.length === HLL_REGISTERS) {
    mergeSketch(into, stored);
    return;
  }
  for (let o = 0; o + 1 < stored.length; o += 2) {
    const entry = (stored[o]! << 8) | stored[o + 1]!;
    const index = entry >>> RANK_BITS;
    const rank = entry & ((1 << RANK_BITS) - 1);
    if (rank > into[index]!) into[index] = rank;
  }
}

/** A stored sketch as registers, to add items to. */
export function decodeSketch(stored: Uint8Array): Uint8Array {
  const sketch = emptySketch();
  mergeStoredSketch(sketch, stored);
  return sketch;
}

/** Estimated number of distinct items, with the small-range (linear counting) correction. */
export function estimateCardinality(sketch: Uint8Array): number {
  const m = HLL_REGISTERS;
  let sum = 0;
  let zeros = 0;
  for (let i = 0; i < m; i++) {
    sum += 2 ** -sketch[i]!;
    if (sketch[i] === 0) zeros++;
  }
  const alpha = 0.7213 / (1 + 1.079 / m);
  const raw = (alpha * m * m) / sum;
  if (raw <= 2.5 * m && zeros > 0) return Math.round(m * Math.log(m / zeros));
  return Math.round(raw);
}
