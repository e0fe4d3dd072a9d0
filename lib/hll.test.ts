import { describe, expect, it } from "vitest";
import { addToSketch, decodeSketch, emptySketch, encodeSketch, estimateCardinality, hash32, HLL_REGISTERS, mergeSketch, mergeStoredSketch } from "./hll";

const fill = (from: number, to: number) => {
  const sketch = emptySketch();
  for (let i = from; i < to; i++) addToSketch(sketch, `+57300${String(i).padStart(7, "0")}`);
  return sketch;
};

describe("HyperLogLog", () => {
  it("counts an empty sketch as zero and small sets almost exactly", () => {
    expect(estimateCardinality(emptySketch())).toBe(0);
    for (const n of [1, 10, 100]) expect(Math.abs(estimateCardinality(fill(0, n)) - n)).toBeLessThanOrEqual(Math.max(1, n * 0.02));
  });

  it.each([1_000, 20_000, 200_000])("estimates %i distinct contacts within 6%", (n) => {
    const estimate = estimateCardinality(fill(0, n));
    expect(Math.abs(estimate - n) / n).toBeLessThan(0.06);
  });

  it("ignores repeats and reports whether a register changed", () => {
    const sketch = emptySketch();
    expect(addToSketch(sketch, "+573001112233")).toBe(true);
    expect(addToSketch(sketch, "+573001112233")).toBe(false);
    expect(estimateCardinality(sketch)).toBe(1);
  });

  it("merges overlapping sets into their union", () => {
    const a = fill(0, 30_000);
    const b = fill(20_000, 50_000);
    mergeSketch(a, b);
    expect(Math.abs(estimateCardinality(a) - 50_000) / 50_000).toBeLessThan(0.06);
  });

  it("hashes deterministically over the full 32-bit range", () => {
    expect(hash32("+573001112233")).toBe(hash32("+573001112233"));
    const high = Array.from({ length: 1000 }, (_, i) => hash32(String(i)) >= 2 ** 31).filter(Boolean).length;
    expect(high).toBeGreaterThan(400);
    expect(high).toBeLessThan(600);
  });

  it("stores sketches with few contacts sparse, others dense, and reads both back register for register", () => {
    for (const n of [0, 1, 40, 300, 2000]) {
      const sketch = fill(0, n);
      const stored = encodeSketch(sketch);
      expect(stored.length < HLL_REGISTERS, `${n} contacts`).toBe(n <= 300);
      expect(decodeSketch(stored)).toEqual(sketch);
    }
    // Sparse entries fit the stored row in its b-tree page (no 4 KiB overflow page per sketch).
    expect(encodeSketch(fill(0, 400)).length).toBeLessThanOrEqual(900);
  });

  it("merges stored sketches of either form like the registers they hold", () => {
    const union = fill(0, 30);
    mergeSketch(union, fill(20, 5000));
    const merged = emptySketch();
    mergeStoredSketch(merged, encodeSketch(fill(0, 30)));
    mergeStoredSketch(merged, encodeSketch(fill(20, 5000)));
    expect(merged).toEqual(union);
  });
});
