import { describe, expect, it } from "vitest";
import { ExportPace } from "./export-pace";

// The pace's arithmetic on a given clock (ms); the server's streams await these delays
// (lib/read/pool.ts), and bench:isolation measures what they buy the webhook.
describe("ExportPace", () => {
  it("lets one export's chunks through at the rate", () => {
    const pace = new ExportPace(100); // 100 bytes per ms
    expect(pace.delay(1000, 0)).toBe(0);
    // Ready at once, the next waits until the first's 10 ms are over; then the one after it.
    expect(pace.delay(1000, 0)).toBe(10);
    expect(pace.delay(500, 5)).toBe(15);
  });

  it("makes concurrent exports share the rate: their chunks queue behind each other", () => {
    const pace = new ExportPace(100);
    const delays: number[] = [];
    // Two exports taking turns, each with a 1,000-byte chunk ready at 0 every round.
    for (let chunk = 0; chunk < 6; chunk++) delays.push(pace.delay(1000, 0));
    expect(delays).toEqual([0, 10, 20, 30, 40, 50]);
  });

  it("keeps no credit from an idle spell: a chunk after a pause waits as after any other", () => {
    const pace = new ExportPace(100);
    expect(pace.delay(1000, 0)).toBe(0);
    expect(pace.delay(1000, 500)).toBe(0);
    expect(pace.delay(1000, 500)).toBe(10);
  });

  it("does not pace at a rate of 0", () => {
    const pace = new ExportPace(0);
    for (let i = 0; i < 5; i++) expect(pace.delay(1_000_000, 0)).toBe(0);
  });
});
