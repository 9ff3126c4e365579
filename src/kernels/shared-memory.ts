/**
 * A kernel build that imports a *shared* WebAssembly.Memory, made from the shipped build at run
 * time, so that several instances (one per thread) compute on one memory and the package ships no
 * second set of .wasm files. An engine links a shared memory only to a module whose memory import
 * is declared shared (with a maximum): the builds declare `env.memory` as limits {flags 0, min 1}
 * (asconfig.json: importMemory), and this rewrites that one import to {flags 3 = shared + has
 * maximum, min, max}. Nothing else changes: the kernels use no atomics, each thread only reads the
 * inputs and writes its own rows. Binary layout: WebAssembly core spec §5.5 (sections, imports)
 * and the threads proposal (limits flag 0x03).
 */

/** 4 GiB in 64 KiB pages: the wasm32 limit, the Arena's own bound. */
export const MAX_PAGES = 65536;

/**
 * A shared memory the rewritten builds can import (grows in place; every thread sees the growth).
 * A shared memory reserves its whole maximum up front, which a 32-bit or mobile browser may refuse
 * for 4 GiB (a RangeError): then 1 GiB, then 256 MiB are tried — the import accepts any maximum up
 * to the one it declares, and a model that outgrows the memory gets the allocator's usual error.
 */
export function createSharedMemory(initialPages = 2, create = (d: WebAssembly.MemoryDescriptor) => new WebAssembly.Memory(d)): WebAssembly.Memory {
  const maxima = [MAX_PAGES, 16384, 4096].filter((m) => m >= initialPages);
  for (const [i, maximum] of maxima.entries()) {
    try {
      return create({ initial: initialPages, maximum, shared: true });
    } catch (e) {
      if (!(e instanceof RangeError) || i === maxima.length - 1) throw e;
    }
  }
  throw new RangeError(`shared kernels: ${initialPages} initial pages are more than a shared memory may hold here`);
}

function readU32(b: Uint8Array, at: number): [value: number, next: number] {
  let value = 0,
    shift = 0,
    byte: number;
  do {
    if (at >= b.length) throw new RangeError(`shared kernels: LEB128 runs past the end of the module at byte ${at}`);
    byte = b[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [value, at];
}

function u32Leb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return out;
}

/** Skips a name (a byte vector). */
function skipName(b: Uint8Array, at: number): number {
  const [len, next] = readU32(b, at);
  return next + len;
}

/** Skips limits: flags, min, and max when flags has bit 0. */
function skipLimits(b: Uint8Array, at: number): number {
  const flags = b[at];
  let next = readU32(b, at + 1)[1];
  if (flags & 1) next = readU32(b, next)[1];
  return next;
}

/**
 * The same module with its imported memory declared shared, maximum `maxPages`. Throws if the
 * module imports no memory (then it cannot share one) or already declares it shared.
 */
export function withSharedMemoryImport(wasm: Uint8Array, maxPages = MAX_PAGES): Uint8Array {
  let at = 8; // magic + version
  while (at < wasm.length) {
    const id = wasm[at];
    const [size, body] = readU32(wasm, at + 1);
    if (id === 2) {
      // import section: a vector of (module name, field name, kind, description)
      let [count, p] = readU32(wasm, body);
      while (count-- > 0) {
        p = skipName(wasm, skipName(wasm, p));
        const kind = wasm[p++];
        if (kind === 0x02) {
          const flags = wasm[p];
          if (flags & 2) throw new RangeError('shared kernels: the build already imports a shared memory');
          const [min] = readU32(wasm, p + 1);
          const limitsEnd = skipLimits(wasm, p);
          const limits = [0x03, ...u32Leb(min), ...u32Leb(maxPages)];
          const sectionBody = [...wasm.subarray(body, p), ...limits, ...wasm.subarray(limitsEnd, body + size)];
          return Uint8Array.from([...wasm.subarray(0, at), 2, ...u32Leb(sectionBody.length), ...sectionBody, ...wasm.subarray(body + size)]);
        }
        if (kind === 0x00) p = readU32(wasm, p)[1];
        else if (kind === 0x01) p = skipLimits(wasm, p + 1);
        else if (kind === 0x03) p += 2;
        else throw new RangeError(`shared kernels: unknown import kind ${kind} at byte ${p - 1}`);
      }
    }
    at = body + size;
  }
  throw new RangeError('shared kernels: the build imports no memory, so it cannot share one');
}
