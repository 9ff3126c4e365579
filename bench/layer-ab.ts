/**
 * One layer's kernel, several builds, timed by CPU time in interleaved rounds: the quick A/B used
 * while trying kernel changes on the shared machine (BENCHMARKS.md, "Big layers at batch 64").
 * Calls the exported kernels directly on seeded random data (W uniform in ±0.5; the CSR keeps
 * |w| > 0.45, about 10% of the weights), checks every build's output against the first build's,
 * and prints each build's median and min time and its paired speed-up over the first.
 *
 *   npx tsx bench/layer-ab.ts --kind gemm|gemm-scratch|spmm|spmm-panel|spmm-packed --out 1024 --in 4096 [--batch 64] [--rounds 15] A.wasm B.wasm …
 *
 * A build may be given as FILE@KIND to time it with another kind than --kind (e.g. the same build
 * with and without its panel: `B.wasm@spmm B.wasm@spmm-panel`); FLOP/s follow --kind.
 *
 * `gemm-scratch` times the inference GEMM, `f32_gemm_scratch`, on builds that have it and `f32_gemm`
 * on the others; the same file twice, as `--kind gemm` and `--kind gemm-scratch`, is not a pair:
 * give two builds.
 *
 * `spmm-panel` times the SpMM given a packing panel (64 bytes per column: the kernel copies each
 * 16-sample chunk of X into it; builds before the panel ignore it). `spmm-packed` times the same
 * SpMM on X already copied into 16-sample panels (each panel in × 16 contiguous floats, one call
 * per panel at batch 16): what a packed layout of X would give, without the cost of packing.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: a, positionals: files } = parseArgs({
  allowPositionals: true,
  options: {
    kind: { type: 'string', default: 'gemm' },
    out: { type: 'string', default: '1024' },
    in: { type: 'string', default: '4096' },
    batch: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '15' },
  },
});
const kind = a.kind!;
const KINDS = ['gemm', 'gemm-scratch', 'spmm', 'spmm-panel', 'spmm-packed'];
if (!KINDS.includes(kind) || files.length === 0) throw new Error('usage: see the comment at the top of bench/layer-ab.ts');
const M = Number(a.out),
  K = Number(a.in),
  B = Number(a.batch),
  rounds = Number(a.rounds);
if (kind === 'spmm-packed' && B % 16 !== 0) throw new Error('--kind spmm-packed needs a batch that is a multiple of 16');

let seed = 1;
const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5;
const W = Float32Array.from({ length: M * K }, rnd),
  X = Float32Array.from({ length: K * B }, rnd),
  bias = Float32Array.from({ length: M }, rnd);
const data: number[] = [],
  cols: number[] = [],
  indptr = [0];
for (let r = 0; r < M; r++) {
  for (let c = 0; c < K; c++)
    if (Math.abs(W[r * K + c]) > 0.45) {
      data.push(W[r * K + c]);
      cols.push(c);
    }
  indptr.push(data.length);
}
const nnz = data.length;
const packed = new Float32Array(K * B); // panel q: X[c][16q .. 16q+16) at q·K·16 + c·16
for (let q = 0; q < B / 16; q++)
  for (let c = 0; c < K; c++) for (let t = 0; t < 16 && 16 * q + t < B; t++) packed[q * K * 16 + c * 16 + t] = X[c * B + 16 * q + t];

let top = 65536;
const place = (bytes: number) => {
  const p = top;
  top += Math.ceil(bytes / 64) * 64;
  return p;
};
const pW = place(4 * M * K),
  pX = place(4 * K * B),
  pXp = place(4 * K * B),
  pY = place(4 * M * B),
  pb = place(4 * M),
  pd = place(4 * nnz),
  pi = place(2 * nnz),
  pp = place(4 * (M + 1)),
  pS = place(16 * K),
  pP = place(64 * K);

type Exports = Record<string, (...args: number[]) => number>;
const builds = files.map((spec) => {
  const [file, kind = a.kind!] = spec.split('@');
  if (!KINDS.includes(kind)) throw new Error(`${spec}: unknown kind ${kind}`);
  const memory = new WebAssembly.Memory({ initial: Math.ceil(top / 65536) + 1 });
  const e = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file)), { env: { memory, abort() {} } }).exports as unknown as Exports;
  const buf = memory.buffer;
  new Float32Array(buf, pW, M * K).set(W);
  new Float32Array(buf, pX, K * B).set(X);
  new Float32Array(buf, pXp, K * B).set(packed);
  new Float32Array(buf, pb, M).set(bias);
  new Float32Array(buf, pd, nnz).set(data);
  new Uint16Array(buf, pi, nnz).set(cols);
  new Uint32Array(buf, pp, M + 1).set(indptr);
  const run =
    kind === 'gemm' || (kind === 'gemm-scratch' && !e.f32_gemm_scratch)
      ? () => e.f32_gemm(pW, pb, pX, pY, M, K, B, 1)
      : kind === 'gemm-scratch'
        ? () => e.f32_gemm_scratch(pW, pb, pX, pY, M, K, B, 1, pS)
        : kind === 'spmm' || kind === 'spmm-panel'
          ? () => e.f32_spmm_csr_u16(pd, pi, pp, pb, pX, pY, M, B, 1, kind === 'spmm-panel' ? pP : 0)
          : () => {
              for (let q = 0; q < B / 16; q++) e.f32_spmm_csr_u16(pd, pi, pp, pb, pXp + q * K * 64, pY + q * M * 64, M, 16, 1);
            };
  run();
  return { file: spec, run, out: new Float32Array(buf, pY, M * B).slice() };
});
for (const b of builds.slice(1)) {
  let diff = 0;
  for (let i = 0; i < b.out.length; i++) diff = Math.max(diff, Math.abs(b.out[i] - builds[0].out[i]));
  if (!(diff <= 1e-4)) throw new Error(`${b.file} disagrees with ${builds[0].file} by ${diff}`);
}

const flops = 2 * (kind.startsWith('gemm') ? M * K : nnz) * B;
const reps = Math.max(1, Math.ceil(2e8 / flops));
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
for (const b of builds) for (let i = 0; i < reps; i++) b.run(); // warm-up (tier-up)
const times = builds.map(() => [] as number[]);
for (let r = 0; r < rounds; r++)
  for (let i = 0; i < builds.length; i++) {
    const b = builds[(i + r) % builds.length];
    const t0 = cpuMs();
    for (let q = 0; q < reps; q++) b.run();
    times[(i + r) % builds.length].push((cpuMs() - t0) / reps);
  }
const median = (v: number[]) => [...v].sort((x, y) => x - y)[v.length >> 1];
console.log(
  `${kind} ${M}×${K} batch ${B}${kind.startsWith('gemm') ? '' : `, ${nnz} nonzeros`}; CPU ms per call, ${rounds} rounds; speed-up over the first build, paired per round`,
);
builds.forEach((b, i) => {
  const min = Math.min(...times[i]);
  const paired = i === 0 ? '' : `  speed-up ${median(times[i].map((t, r) => times[0][r] / t)).toFixed(3)}×`;
  console.log(`${b.file.padEnd(36)} median ${median(times[i]).toFixed(3)}  min ${min.toFixed(3)}  ${(flops / min / 1e6).toFixed(1)} GFLOP/s by min${paired}`);
});
