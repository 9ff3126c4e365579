/**
 * The latency page (`prunekit latency-page --out FILE` writes it; scripts/bundle-latency-page.mjs
 * builds it into one self-contained HTML file): measures `fit`'s per-layer latency table on the
 * visitor's device, with the browser build of prunekit/runtime and the same grid and harness as
 * Node (latency-table.ts), and times a delivered compact model there so its budget can be checked.
 *
 * 1. Pick the model file (or type the layer sizes), the batch size and the timing runs; "Measure"
 *    fills the JSON box; "Download" saves it as latency-table.json, for
 *    `prunekit fit … --batch B --latency-table latency-table.json`.
 * 2. Pick the model `fit` delivered; "Time it" prints its median µs per forward pass at the batch.
 *
 * Query parameters prefill the form: `?sizes=784,300,100,10&batch=8&runs=15`.
 * For scripts and tests, `#status` carries `data-state` = busy | done | error and `#timing`
 * carries `data-median-us` once a model is timed.
 */
import { loadModelSync } from '../runtime/browser.js';
import { benchModel } from './model-bench.js';
import { layerShapesOf, measureLatencyTable, type LayerShape } from './latency-table.js';

const FORM = `
<h1>prunekit latency table</h1>
<p>Times every layer of your model on <em>this</em> device — dense, and CSR at a grid of densities — with prunekit's
WebAssembly kernels, for <code>prunekit fit --latency-table</code>. Keep the tab in front while it runs.</p>
<fieldset id="measure-part"><legend>1. Measure the table</legend>
  <label>Training model file (the one you give <code>fit --model</code>; or drop it here) <input type="file" id="model"></label><br>
  <label>or layer sizes <input id="sizes" placeholder="784,300,100,10" size="24"></label><br>
  <label>Batch size <input id="batch" type="number" min="1" value="1" size="6"></label>
  <label>Timing runs <input id="runs" type="number" min="1" value="15" size="6"></label>
  <button id="measure">Measure</button>
  <p id="status" data-state="idle"></p>
  <textarea id="table" rows="12" cols="90" readonly></textarea><br>
  <button id="download" disabled>Download latency-table.json</button> <button id="copy" disabled>Copy</button>
</fieldset>
<fieldset id="time-part"><legend>2. Check a delivered model</legend>
  <label>Compact model from fit (or drop it here) <input type="file" id="delivered"></label>
  <label>Budget, µs (optional) <input id="budget" type="number" min="0" size="8"></label>
  <button id="time">Time it at the batch size above</button>
  <p id="timing"></p>
</fieldset>`;

/** Layer sizes "784,300,100,10" → shapes 784→300, 300→100, 100→10. */
export function shapesFromSizes(text: string): LayerShape[] {
  const sizes = text.split(',').map((s) => Number(s.trim()));
  if (sizes.length < 2 || sizes.some((n) => !Number.isInteger(n) || n < 1))
    throw new RangeError(`layer sizes: expected whole numbers ≥ 1 separated by commas, e.g. 784,300,100,10, got "${text}"`);
  return sizes.slice(1).map((out, i) => ({ inFeatures: sizes[i], outFeatures: out }));
}

function positiveInt(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${what}: expected a whole number ≥ 1, got "${text}"`);
  return n;
}

const fileBytes = async (f: File) => new Uint8Array(await f.arrayBuffer());

/** Builds the page's form inside `root` and wires it up. */
export function mountLatencyPage(root: HTMLElement, query: URLSearchParams = new URLSearchParams(location.search)): void {
  root.innerHTML = FORM;
  const $ = <T extends HTMLElement>(id: string) => root.querySelector<T>(`#${id}`)!;
  const [model, sizes, batch, runs, status, table] = [
    $<HTMLInputElement>('model'),
    $<HTMLInputElement>('sizes'),
    $<HTMLInputElement>('batch'),
    $<HTMLInputElement>('runs'),
    $('status'),
    $<HTMLTextAreaElement>('table'),
  ];
  // A file dropped on a section goes to that section's file field.
  for (const [part, input] of [
    ['measure-part', model],
    ['time-part', $<HTMLInputElement>('delivered')],
  ] as const) {
    $(part).ondragover = (e) => e.preventDefault();
    $(part).ondrop = (e) => {
      e.preventDefault();
      if (e.dataTransfer?.files.length) input.files = e.dataTransfer.files;
    };
  }
  sizes.value = query.get('sizes') ?? '';
  batch.value = query.get('batch') ?? batch.value;
  runs.value = query.get('runs') ?? runs.value;
  const say = (el: HTMLElement, state: string, text: string) => {
    el.dataset.state = state;
    el.textContent = text;
  };
  const guard = (el: HTMLElement, work: () => Promise<void>) => async () => {
    try {
      await work();
    } catch (e) {
      say(el, 'error', `${(e as Error).name}: ${(e as Error).message}`);
    }
  };

  $('measure').onclick = guard(status, async () => {
    const file = model.files?.[0];
    const shapes = file ? layerShapesOf(await fileBytes(file), file.name) : shapesFromSizes(sizes.value);
    const B = positiveInt(batch.value, 'batch size');
    table.value = '';
    say(status, 'busy', 'measuring…');
    const t = await measureLatencyTable(shapes, B, loadModelSync, {
      runs: positiveInt(runs.value, 'timing runs'),
      where: navigator.userAgent,
      minRunMs: 2, // performance.now() ticks 100 µs on a page without cross-origin isolation: 5% of a run
      onProgress: (what) => say(status, 'busy', `${what}…`),
    });
    table.value = JSON.stringify(t, null, 2) + '\n';
    const dense = (t.call_us ?? 0) + t.layers.reduce((a, l) => a + l.dense_us, 0);
    say(
      status,
      'done',
      `done: ${shapes.length} layers at batch ${B}; the dense model ≈ ${dense.toFixed(1)} µs here. Run: prunekit fit … --batch ${B} --latency-table latency-table.json`,
    );
    $<HTMLButtonElement>('download').disabled = $<HTMLButtonElement>('copy').disabled = false;
  });
  $('download').onclick = () => {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([table.value], { type: 'application/json' }));
    a.download = 'latency-table.json';
    a.click();
    URL.revokeObjectURL(a.href);
  };
  $('copy').onclick = () => {
    table.select();
    void navigator.clipboard?.writeText(table.value);
  };

  const timing = $('timing');
  $('time').onclick = guard(timing, async () => {
    const file = $<HTMLInputElement>('delivered').files?.[0];
    if (!file) throw new RangeError('pick the compact model file first');
    const B = positiveInt(batch.value, 'batch size');
    say(timing, 'busy', 'timing…');
    const m = loadModelSync(await fileBytes(file));
    const r = (await benchModel(m, { batches: [B], runs: positiveInt(runs.value, 'timing runs'), minRunMs: 0.5 })).results[0];
    const budget = Number($<HTMLInputElement>('budget').value);
    const verdict = budget > 0 ? (r.median_us <= budget ? `, within the ${budget} µs budget` : `, OVER the ${budget} µs budget`) : '';
    timing.dataset.medianUs = String(r.median_us);
    say(
      timing,
      'done',
      `${file.name}: median ${r.median_us.toFixed(2)} µs, fastest ${r.min_us.toFixed(2)} µs per forward pass at batch ${B} (${m.flavor} kernels)${verdict}`,
    );
  });
}
