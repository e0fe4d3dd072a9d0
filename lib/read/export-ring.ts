/**
 * An export's chunks cross from its worker to the socket through shared memory, not as a new
 * buffer per chunk. Each buffer a worker hands over becomes an ArrayBuffer of the main thread, and
 * V8 counts its bytes as the main isolate's external memory: four full exports (~150 MB/s) made
 * V8 run a full mark-compact of the main heap every ~150 ms, ~20 ms of marking each on the thread
 * that answers webhooks (bench:isolation at 10M: webhook p99 3.3–4× idle). A ring of a few slots
 * per export, lent to the response and given back once the socket has taken the bytes, allocates
 * nothing per chunk on that thread.
 */

/** Slots per export: one being written to the socket, one queued, one being filled, one spare. */
export const RING_SLOTS = 4;
/** Bytes per slot: a read chunk (lib/export/csv.ts' READ_CHUNK_ROWS records) fits; a larger chunk is handed over as before. */
export const SLOT_BYTES = 512 * 1024;

/** The bytes of `slot` in a ring's shared memory (the worker writes a chunk there). */
export function slotOf(memory: SharedArrayBuffer, slot: number): Uint8Array {
  return new Uint8Array(memory, slot * SLOT_BYTES, SLOT_BYTES);
}

/**
 * Who gives a ring's slots back: lib/server/app-server.ts, which sees the socket take each chunk,
 * and lib/read/pool.ts, which lends them, are in different bundles (each its own copy of this
 * module), so rings are found by their memory in one process-wide map.
 */
const RINGS = Symbol.for("faultline.exportRings");
type WithRings = typeof globalThis & { [RINGS]?: WeakMap<SharedArrayBuffer, (byteOffset: number) => void> };
const rings = () => ((globalThis as WithRings)[RINGS] ??= new WeakMap());

/** One export's ring: which slots the worker may fill, which are lent to the response. */
export class ExportRing {
  readonly memory = new SharedArrayBuffer(RING_SLOTS * SLOT_BYTES);
  private readonly free = Array.from({ length: RING_SLOTS }, (_, slot) => slot);
  private readonly lent = new Set<number>();
  /** Chunks that went out of the ring, and chunks handed over as buffers of their own (what tests observe). */
  readonly sent = { fromRing: 0, handedOver: 0 };

  constructor() {
    rings().set(this.memory, (byteOffset) => this.giveBack(byteOffset / SLOT_BYTES));
  }

  /** A slot for the worker to fill, or undefined when all are lent out (the chunk is handed over then). */
  take(): number | undefined {
    return this.free.shift();
  }

  /** A chunk that came as a buffer of its own (or the end, null): the slot taken for it is free again. */
  handedOver(slot: number | undefined, bytes: Uint8Array | null): Uint8Array | null {
    if (slot !== undefined) this.free.unshift(slot);
    if (bytes) this.sent.handedOver++;
    return bytes;
  }

  /** The `length` bytes the worker wrote into `slot`, lent to the response until given back. */
  lend(slot: number, length: number): Uint8Array {
    this.lent.add(slot);
    this.sent.fromRing++;
    return slotOf(this.memory, slot).subarray(0, length);
  }

  private giveBack(slot: number): void {
    // Once per lending: a slot is never free twice.
    if (this.lent.delete(slot)) this.free.push(slot);
  }
}

/**
 * When `chunk` was lent from an export's ring: the function that gives its slot back, to be called
 * once nothing reads its bytes any more (the socket has taken them). A consumer that never calls
 * it keeps its chunks intact: the export hands over buffers of their own once the ring is out.
 */
export function ringReturnOf(chunk: unknown): (() => void) | undefined {
  if (!(chunk instanceof Uint8Array) || !(chunk.buffer instanceof SharedArrayBuffer)) return undefined;
  const giveBack = rings().get(chunk.buffer);
  return giveBack && (() => giveBack(chunk.byteOffset));
}
