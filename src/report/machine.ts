/**
 * Machine-limit probes: what one core reaches in wasm on this machine, measured in the same run
 * as the kernels they are compared with (read bandwidth for bandwidth-bound GEMV, f32x4 multiply-add
 * peak for compute-bound GEMM). The probes are ordinary timing variants, interleaved with the
 * kernels' variants by the harness (latency.ts), so speed drift hits both alike.
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
}

export interface MachineLimits {
  /** Read bandwidth over `read_buffer_bytes`, GB/s (10⁹ bytes/s), from the median / the fastest run. */
  read_gbs: number;
  read_gbs_best: number;
  read_buffer_bytes: number;
  /** Multiply-add peak, GFLOP/s (f32x4 mul+add = 8 flops; scalar builds: 2), median / fastest run. */
  madd_gflops: number;
  madd_gflops_best: number;
  /** os.loadavg() at the end of the run: 1, 5 and 15-minute load averages (background load). */
  loadavg: number[];
  cpus: number;
}

export const PROBE_READ = 'probe:read-bandwidth';
export const PROBE_MADD = 'probe:madd-peak';

/**
 * Allocates the read buffer (`readBytes`, default 4 MiB: past L2, as the weights of a big layer
 * are) in kernel memory and returns the two probe variants.
 */
export function machineProbes(k: Kernels, readBytes = 4 << 20, maddIters = 20000): ProbeSetup {
  const ring = k.alloc(1024);
  new Float32Array(k.memory.buffer, ring, 256).fill(0.5); // finite, no denormals
  const bytes = Math.max(128, Math.floor(readBytes / 128) * 128);
  const p = k.alloc(bytes);
  const view = new Float32Array(k.memory.buffer, p, bytes / 4);
  for (let i = 0; i < view.length; i++) view[i] = (i % 7) * 0.125; // exact sums: no NaN/denormal slow paths
  const lanes = KERNEL_FLAVORS[k.flavor].lanes;
  return {
    variants: [
      {
        name: PROBE_READ,
        fn: () => {
          k.probe_read_bw(p, bytes, 1);
        },
      },
      {
        name: PROBE_MADD,
        fn: () => {
          k.probe_madd_peak(ring, maddIters);
        },
      },
    ],
    readBytes: bytes,
    maddFlops: 10 * maddIters * 2 * lanes,
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
  return {
    read_gbs: setup.readBytes / (read.median_us * 1e3),
    read_gbs_best: setup.readBytes / (read.min_us * 1e3),
    read_buffer_bytes: setup.readBytes,
    madd_gflops: setup.maddFlops / (madd.median_us * 1e3),
    madd_gflops_best: setup.maddFlops / (madd.min_us * 1e3),
    loadavg: loadavg(),
    cpus: availableParallelism(),
  };
}
