/**
 * The per-layer latency table `fit` allocates a latency budget with, and the one code that measures
 * it — in Node (`fit`, src/report/fit.ts) and in a browser (the latency page, latency-page.ts).
 * Portable: no `node:` imports; the caller passes the runtime's `loadModelSync` (Node's or the
 * browser's), so both time the same grid through the same harness on their own kernels.
 *
 * For every layer of the model, alone: a one-layer model with seeded random weights of that shape,
 * dense, and CSR at each density of DENSITY_GRID, timed at the batch size by `timeModels`
 * (fit-latency.ts: interleaved rounds in a shuffled order, in repeats spaced apart), each taking its
 * fastest round — load only ever adds time, so the fastest round is the least disturbed estimate of
 * the kernel's cost. Each time is net of the same layer nearly empty (one weight, CSR), which removes
 * what a one-layer model pays for its own input and output: the whole model pays that once, not
 * per layer. `call_us` is the whole model with every layer nearly empty, added once by `fit`.

 * The JSON file (`fit --save-latency-table` writes it, `fit --latency-table` reads it):
 *   { "batch": B, "measuredOn": "simd kernels, …", "call_us": c,
 *     "layers": [{ "inFeatures", "outFeatures", "dense_us", "csr": [{ "density", "us" }, …] }, …] }
 */
import type { Model } from '../runtime/model.js';
import { denseToCsr, narrowestIndex } from '../sparse/csr.js';
import { encodeModel, type CompactModel } from '../sparse/format.js';
import { Rng } from '../util/rng.js';
import { decodeSafetensors, FormatError } from '../util/safetensors.js';
import { isPlainObject } from '../util/json.js';
import { timeModels } from './fit-latency.js';

/** Densities (kept fractions) the tables cover; 1 = dense. */
export const DENSITY_GRID = [1, 0.7, 0.5, 0.35, 0.25, 0.18, 0.12, 0.08, 0.05, 0.03, 0.02, 0.01, 0.005];

/** A layer's shape: what the table is measured for and checked against. */
export interface LayerShape {
  inFeatures: number;
  outFeatures: number;
}

/** Per-layer latency, µs, at one batch size: dense, and CSR at each density of the grid. */
export interface LatencyTable {
  batch: number;
  /** Where it was measured (kernel build, engine), for the record. */
  measuredOn?: string;
  /** The fixed cost of one call (the whole model with every layer nearly empty), already taken off every layer's times and added once per model. */
  call_us?: number;
  layers: { inFeatures: number; outFeatures: number; dense_us: number; csr: { density: number; us: number }[] }[];
}

export interface MeasureOptions {
  /** Timing runs per variant (default 15). */
  runs?: number;
  seed?: number;
  /** Appended to "<flavor> kernels" in `measuredOn` (e.g. the browser's user agent). */
  where?: string;
  /**
   * Shortest timed run, ms (default 0.25). Browsers coarsen performance.now() (Chromium: to 100 µs
   * on a page that is not cross-origin isolated), so the page asks for runs long enough that one
   * tick is a small fraction of a run; with 0.25 ms a short run can read 0 there.
   */
  minRunMs?: number;
  onProgress?: (what: string) => void;
}

/**
 * The layer shapes of a training-model file (`layers.{i}.weight` F32 [out, in]): the shapes `fit
 * --model` has, which a table must match. For the latency page, which needs only the shapes.
 */
export function layerShapesOf(bytes: Uint8Array, source: string): LayerShape[] {
  let st;
  try {
    st = decodeSafetensors(bytes);
  } catch (e) {
    throw new FormatError(`${source}: ${(e as Error).message}`);
  }
  if (st.metadata.format !== 'prunekit')
    throw new FormatError(`${source}: not a prunekit model file (metadata format is ${JSON.stringify(st.metadata.format)})`);
  if (st.metadata.kind === 'compact')
    throw new FormatError(`${source}: a compact model file; pick the training model you give \`prunekit fit --model\` (the table must have its layer shapes)`);
  const shapes: LayerShape[] = [];
  for (let t = st.tensors.get('layers.0.weight'); t; t = st.tensors.get(`layers.${shapes.length}.weight`)) {
    if (t.shape.length !== 2 || t.shape.some((d) => d < 1))
      throw new FormatError(`${source}: tensor 'layers.${shapes.length}.weight' has shape [${t.shape}], expected [out, in]`);
    shapes.push({ inFeatures: t.shape[1], outFeatures: t.shape[0] });
  }
  if (shapes.length === 0) throw new FormatError(`${source}: no tensor 'layers.0.weight' (is this a model written by prunekit train or prune?)`);
  return shapes;
}

/** A one-layer compact model with seeded random weights of the given density (0: one weight, "nearly empty"). */
export function oneLayerModel(rows: number, cols: number, density: number, layout: 'dense' | 'csr', rng: Rng): CompactModel {
  const w = new Float32Array(rows * cols);
  for (let i = 0; i < w.length; i++) if (rng.next() < density) w[i] = rng.next() - 0.5;
  if (density === 0) w[0] = 0.5;
  const common = { inFeatures: cols, outFeatures: rows, activation: 'relu' as const, bias: new Float32Array(rows) };
  const layer =
    layout === 'dense'
      ? { ...common, layout: 'dense' as const, values: { encoding: 'f32' as const, values: w } }
      : (() => {
          const m = denseToCsr(w, rows, cols, narrowestIndex(cols));
          return { ...common, layout: 'csr' as const, indices: m.indices, indptr: m.indptr, values: { encoding: 'f32' as const, values: m.data } };
        })();
  return { layers: [layer], preprocessing: { mean: null, scale: null, featureNames: [], labelNames: [] }, provenance: {} };
}

/** Times every layer alone, dense and CSR at each grid density, at `batch`, through `load`'s runtime. */
export async function measureLatencyTable(
  shapes: readonly LayerShape[],
  batch: number,
  load: (bytes: Uint8Array) => Model,
  o: MeasureOptions = {},
): Promise<LatencyTable> {
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`the batch size must be a whole number ≥ 1, got ${batch}`);
  const rng = new Rng(o.seed ?? 1);
  const timing = { runs: o.runs ?? 15, seed: o.seed, minRunMs: o.minRunMs };
  const nearlyEmpty = shapes.map((L) => oneLayerModel(L.outFeatures, L.inFeatures, 0, 'csr', rng).layers[0]);
  const empty = load(encodeModel({ layers: nearlyEmpty, preprocessing: { mean: null, scale: null, featureNames: [], labelNames: [] }, provenance: {} }));
  const call = (await timeModels([empty], batch, timing))[0].minUs;
  const variants = [
    { density: 1, layout: 'dense' as const },
    ...DENSITY_GRID.filter((d) => d < 1).map((density) => ({ density, layout: 'csr' as const })),
    { density: 0, layout: 'csr' as const }, // the same layer nearly empty: what every time is net of
  ];
  const layers: LatencyTable['layers'] = [];
  for (const [l, L] of shapes.entries()) {
    o.onProgress?.(`latency table: layer ${l + 1}/${shapes.length}`);
    const models = variants.map((v) => load(encodeModel(oneLayerModel(L.outFeatures, L.inFeatures, v.density, v.layout, rng))));
    const times = (await timeModels(models, batch, timing)).map((t) => t.minUs);
    const net = (t: number) => Math.max(0, t - times[times.length - 1]);
    layers.push({
      inFeatures: L.inFeatures,
      outFeatures: L.outFeatures,
      dense_us: net(times[0]),
      csr: variants.slice(1, -1).map((v, i) => ({ density: v.density, us: net(times[i + 1]) })),
    });
  }
  return { batch, measuredOn: `${empty.flavor} kernels${o.where ? `, ${o.where}` : ''}`, call_us: call, layers };
}

/**
 * Checks a table (parsed JSON, so anything) field by field against the model's layer shapes and
 * returns it typed. Times are µs after the call cost is taken off: finite and ≥ 0 (a layer far
 * cheaper than a call measures 0). Every error names `source` and the field, e.g.
 * "t.json: layers[1].csr[3].us must be a finite number ≥ 0, got -2".
 */
export function validateLatencyTable(t: unknown, shapes: readonly LayerShape[], source: string): LatencyTable {
  const fail = (field: string, expected: string, got: unknown): never => {
    throw new RangeError(`${source}: ${field} must be ${expected}, got ${got === undefined ? 'nothing' : JSON.stringify(got)}`);
  };
  const time = (x: unknown, field: string) => (typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : fail(field, 'a finite number ≥ 0 (µs)', x));
  if (!isPlainObject(t))
    return fail('the table', 'a JSON object {"batch", "layers": [{"inFeatures", "outFeatures", "dense_us", "csr": [{"density", "us"}]}]}', t);
  if (!(typeof t.batch === 'number' && Number.isInteger(t.batch) && t.batch >= 1)) fail('batch', 'a whole number ≥ 1', t.batch);
  if (t.measuredOn !== undefined && typeof t.measuredOn !== 'string') fail('measuredOn', 'a string', t.measuredOn);
  if (t.call_us !== undefined) time(t.call_us, 'call_us');
  if (!Array.isArray(t.layers)) fail('layers', 'a list with one entry per layer', t.layers);
  const layers = t.layers as unknown[];
  if (layers.length !== shapes.length) throw new RangeError(`${source}: ${layers.length} layers, the model has ${shapes.length}`);
  layers.forEach((x, l) => {
    const at = `layers[${l}]`;
    if (!isPlainObject(x)) return fail(at, 'an object {"inFeatures", "outFeatures", "dense_us", "csr"}', x);
    const L = shapes[l];
    if (x.inFeatures !== L.inFeatures || x.outFeatures !== L.outFeatures) {
      const shape = `${JSON.stringify(x.outFeatures)}×${JSON.stringify(x.inFeatures)}`;
      throw new RangeError(`${source}: ${at} is ${shape} (outFeatures×inFeatures), the model's is ${L.outFeatures}×${L.inFeatures}`);
    }
    time(x.dense_us, `${at}.dense_us`);
    if (!Array.isArray(x.csr) || x.csr.length === 0) fail(`${at}.csr`, 'a non-empty list of {"density", "us"}', x.csr);
    const seen = new Set<number>();
    (x.csr as unknown[]).forEach((c, k) => {
      if (!isPlainObject(c)) return fail(`${at}.csr[${k}]`, 'an object {"density", "us"}', c);
      const d = c.density;
      if (!(typeof d === 'number' && d > 0 && d <= 1)) fail(`${at}.csr[${k}].density`, 'a number in (0, 1]', d);
      if (seen.has(d as number)) fail(`${at}.csr[${k}].density`, 'different from the entries before it', d);
      seen.add(d as number);
      time(c.us, `${at}.csr[${k}].us`);
    });
  });
  return t as unknown as LatencyTable;
}

/** Parses and validates a table file's text (see validateLatencyTable). */
export function parseLatencyTable(text: string, shapes: readonly LayerShape[], source: string): LatencyTable {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new RangeError(`${source}: not a JSON latency table (${(e as Error).message})`);
  }
  return validateLatencyTable(json, shapes, source);
}
