/**
 * A bump allocator on a WebAssembly.Memory shared by the wasm kernels and the TypeScript host.
 * Allocations are 64-byte aligned and zero-filled; they are released together with `reset(mark)`.
 * The memory grows as needed. Growing replaces `memory.buffer`, detaching every typed-array view:
 * re-create views after any call that can allocate, never cache them.
 */
export const HEAP_BASE = 65536; // the kernels' own static data (Mathf tables) lives below 64 KiB
const ALIGN = 64;
const PAGE = 65536;

export class Arena {
  private top = HEAP_BASE;

  constructor(readonly memory: WebAssembly.Memory) {
    const needed = Math.ceil(HEAP_BASE / PAGE) + 1;
    const have = memory.buffer.byteLength / PAGE;
    if (have < needed) memory.grow(needed - have);
  }

  alloc(bytes: number): number {
    if (!Number.isInteger(bytes) || bytes < 0) throw new RangeError(`alloc: expected a byte count >= 0, got ${bytes}`);
    const ptr = Math.ceil(this.top / ALIGN) * ALIGN;
    const end = ptr + bytes;
    if (end > 4 * 1024 ** 3 - PAGE) throw new RangeError(`alloc: ${bytes} bytes do not fit in 4 GiB of wasm memory`);
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / PAGE));
    new Uint8Array(this.memory.buffer, ptr, bytes).fill(0); // memory may hold data from before a reset
    this.top = end;
    return ptr;
  }

  reset(mark: number): void {
    if (mark < HEAP_BASE || mark > this.top) throw new RangeError(`reset: mark ${mark} is outside the heap [${HEAP_BASE}, ${this.top}]`);
    this.top = mark;
  }

  heapTop(): number {
    return this.top;
  }
}
