/**
 * Machine-limit probes: what one core reaches in wasm on this machine, measured in the same run
 * as the kernels they are compared with (read bandwidth for bandwidth-bound GEMV, f32x4 multiply-add
 * peak for compute-bound GEMM). Read bandwidth is probed twice: over 4 MiB (about the size of a
 * core's L2 and of LeNet-scale weights) and over a buffer far past the caches (256 MiB by default:
 * main-memory bandwidth, the limit once a layer's weights stream from DRAM). The probes are ordinary
 * timing variants, interleaved with the kernels' variants by the harness (latency.ts), so speed
 * drift hits both alike.
 */
import { availableParallelism, loadavg } from 'node:os';
import { KERNEL_FLAVORS, type Kernels } from '../kernels/index.js';
import type { Timing, Variant } from './latency.js';

export interface ProbeSetup {
  /** The variants to time alongside the kernels. */
  variants: Variant[];
  /** Bytes one call of the read probe reads. */
  readBytes: number;
  /** Flops one call of the multiply-add probe performs. */
  maddFlops: number;
  /** Bytes one call of the DRAM read probe reads (0: not probed). */
  dramBytes: number;
}

export interface MachineLimits {
  /** Read bandwidth over `read_buffer_bytes`, GB/s (10⁹ bytes/s), from the median / the fastest run. */
  read_gbs: number;
  read_gbs_best: number;
  read_buffer_bytes: number;
  /** Read bandwidth over `dram_buffer_bytes` (far past the caches), GB/s, median / fastest run; absent when not probed. */
  dram_read_gbs?: number;
  dram_read_gbs_best?: number;
  dram_buffer_bytes?: number;
  /** Multiply-add peak, GFLOP/s (f32x4 mul+add = 8 flops; scalar builds: 2), median / fastest run. */
  madd_gflops: number;
  madd_gflops_best: number;
  /** os.loadavg() at the end of the run: 1, 5 and 15-minute load averages (background load). */
  loadavg: number[];
  cpus: number;
}

export const PROBE_READ = 'probe:read-bandwidth';
export const PROBE_MADD = 'probe:madd-peak';
export const PROBE_DRAM = 'probe:dram-read-bandwidth';
/** The default DRAM probe buffer: 256 MiB, far past a core's caches (and most shared last-level caches). */
export const DRAM_PROBE_BYTES = 256 << 20;

/** A read buffer of `bytes` (rounded down to 128) in kernel memory, filled with exact, finite values. */
function readBuffer(k: Kernels, bytes: number): { p: number; bytes: number } {
  const n = Math.max(128, Math.floor(bytes / 128) * 128);
  const p = k.alloc(n);
  const view = new Float32Array(k.memory.buffer, p, n / 4);
  for (let i = 0; i < view.length; i++) view[i] = (i % 7) * 0.125; // exact sums: no NaN/denormal slow paths
  return { p, bytes: n };
}

/**
 * Allocates the read buffers in kernel memory — `readBytes` (default 4 MiB: past L2, as the weights
 * of a big layer are) and `dramBytes` (default 256 MiB: past the caches; 0 skips the DRAM probe) —
 * and returns the probe variants.
 */
export function machineProbes(k: Kernels, readBytes = 4 << 20, maddIters = 20000, dramBytes = DRAM_PROBE_BYTES): ProbeSetup {
  if (!(Number.isInteger(dramBytes) && dramBytes >= 0 && dramBytes < 2 ** 31))
    throw new RangeError(`machineProbes: dramBytes must be an integer in [0, 2 GiB), got ${dramBytes}`);
  const ring = k.alloc(1024);
  new Float32Array(k.memory.buffer, ring, 256).fill(0.5); // finite, no denormals
  const read = readBuffer(k, readBytes);
  const dram = dramBytes > 0 ? readBuffer(k, dramBytes) : null;
  const lanes = KERNEL_FLAVORS[k.flavor].lanes;
  return {
    variants: [
      {
        name: PROBE_READ,
        fn: () => {
          k.probe_read_bw(read.p, read.bytes, 1);
        },
      },
      {
        name: PROBE_MADD,
        fn: () => {
          k.probe_madd_peak(ring, maddIters);
        },
      },
      ...(dram
        ? [
            {
              name: PROBE_DRAM,
              fn: () => {
                k.probe_read_bw(dram.p, dram.bytes, 1);
              },
            },
          ]
        : []),
    ],
    readBytes: read.bytes,
    maddFlops: 10 * maddIters * 2 * lanes,
    dramBytes: dram ? dram.bytes : 0,
  };
}

/** Turns the probes' timings into limits. */
export function machineLimits(setup: ProbeSetup, timings: readonly Timing[]): MachineLimits {
  const find = (name: string) => {
    const t = timings.find((x) => x.name === name);
    if (!t) throw new Error(`machineLimits: no timing for ${name}`);
    return t;
  };
  const read = find(PROBE_READ),
    madd = find(PROBE_MADD);
  const dram = setup.dramBytes > 0 ? find(PROBE_DRAM) : null;
  return {
    read_gbs: setup.readBytes / (read.median_us * 1e3),
    read_gbs_best: setup.readBytes / (read.min_us * 1e3),
    read_buffer_bytes: setup.readBytes,
    ...(dram
      ? {
          dram_read_gbs: setup.dramBytes / (dram.median_us * 1e3),
          dram_read_gbs_best: setup.dramBytes / (dram.min_us * 1e3),
          dram_buffer_bytes: setup.dramBytes,
        }
      : {}),
    madd_gflops: setup.maddFlops / (madd.median_us * 1e3),
    madd_gflops_best: setup.maddFlops / (madd.min_us * 1e3),
    loadavg: loadavg(),
    cpus: availableParallelism(),
  };
}

/** A read-bandwidth limit: which probe, and what it measured (median / fastest run). */
export interface ReadLimit {
  probe: 'cache' | 'dram';
  buffer_bytes: number;
  gbs: number;
  gbs_best: number;
}

/**
 * The read bandwidth that applies to a working set of `bytes`: the smallest probe buffer that holds
 * it (the 4 MiB probe for cache-sized weights, the DRAM probe beyond), or the largest probe when
 * none does. Between 4 MiB and the last-level cache the DRAM figure is a floor, not a ceiling.
 */
export function readLimitFor(m: MachineLimits, bytes: number): ReadLimit {
  const cache: ReadLimit = { probe: 'cache', buffer_bytes: m.read_buffer_bytes, gbs: m.read_gbs, gbs_best: m.read_gbs_best };
  if (bytes <= m.read_buffer_bytes || m.dram_read_gbs === undefined) return cache;
  return { probe: 'dram', buffer_bytes: m.dram_buffer_bytes!, gbs: m.dram_read_gbs, gbs_best: m.dram_read_gbs_best! };
}
