/**
 * A Cloudflare Worker (also runs under workerd locally) that serves a prunekit model:
 *
 *   POST /predict   {"rows": [[5.1, 3.5, 1.4, 0.2], ...]}
 *   → 200           {"labels": ["setosa", ...], "probabilities": [[0.98, 0.01, 0.01], ...]}
 *
 * The model file is bundled with the Worker as a data module (wrangler.toml's rule) and loaded
 * once per isolate, on the first request; `prunekit/runtime` resolves to its Worker build, which
 * imports the wasm kernels as a module, so no options are needed. Every bad request — not JSON,
 * no rows, an empty batch, a row with the wrong number of features, a value that is not a finite
 * number, a body over 1 MB — gets a 400 with `{"error": "..."}` and the Worker keeps serving.
 *
 *   POST /validate  the same parsing and checks, without the model: answers {"rows": n}. The load
 *                   test (bench/serve-load.ts) uses it as the baseline the model is compared with.
 */
import { loadModel, type Model } from 'prunekit/runtime';
import modelFile from './model.safetensors';

/** Largest accepted body and batch (a Worker has 128 MB; one request must not take it all). A Worker
 * module exports only its handler: workerd refuses other named exports. */
const MAX_BODY_BYTES = 1 << 20;
const MAX_ROWS = 1024;
/** A refused body is read (and dropped) up to this size before the connection is closed. */
const MAX_DRAIN_BYTES = 64 << 20;

class BadRequest extends Error {
  override name = 'BadRequest';
}

let model: Promise<Model> | null = null;

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

/**
 * Reads and discards the rest of a refused body (up to MAX_DRAIN_BYTES) so the client, which is
 * still sending, gets to read our 400: closing the connection mid-upload makes it see a broken pipe.
 */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>, size: number): Promise<void> {
  while (size <= MAX_DRAIN_BYTES) {
    const { done, value } = await reader.read();
    if (done) return;
    size += value.byteLength;
  }
  await reader.cancel();
}

/** The body as text, refusing more than MAX_BODY_BYTES whether or not content-length is sent. */
async function readBody(request: Request): Promise<string> {
  if (!request.body) return '';
  const declared = Number(request.headers.get('content-length') ?? NaN);
  const reader = request.body.getReader();
  if (declared > MAX_BODY_BYTES) {
    await drain(reader, 0);
    throw new BadRequest(`body is ${declared} bytes, the limit is ${MAX_BODY_BYTES}`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await drain(reader, size);
      throw new BadRequest(`body is over the limit of ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return new TextDecoder().decode(all);
}

/** `{"rows": [[...], ...]}` → a flat row-major Float32Array, every value checked. */
function parseRows(text: string, features: number | null): { x: Float32Array; n: number } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new BadRequest(`body is not JSON (${(e as Error).message})`);
  }
  const rows = (body as { rows?: unknown } | null)?.rows;
  if (!Array.isArray(rows)) throw new BadRequest('expected a JSON object {"rows": [[number, ...], ...]}');
  if (rows.length === 0) throw new BadRequest('"rows" is empty: send at least one row');
  if (rows.length > MAX_ROWS) throw new BadRequest(`"rows" has ${rows.length} rows, the limit is ${MAX_ROWS} per request`);
  const F = features ?? (Array.isArray(rows[0]) ? rows[0].length : 0);
  const x = new Float32Array(rows.length * F);
  rows.forEach((row: unknown, r) => {
    if (!Array.isArray(row)) throw new BadRequest(`row ${r} is not an array`);
    if (row.length !== F) throw new BadRequest(`row ${r} has ${row.length} values, the model expects ${F} features`);
    row.forEach((v: unknown, f) => {
      if (typeof v !== 'number' || !Number.isFinite(v) || !Number.isFinite(Math.fround(v))) {
        throw new BadRequest(`row ${r}, feature ${f} is ${JSON.stringify(v)}, expected a finite number`);
      }
      x[r * F + f] = v;
    });
  });
  return { x, n: rows.length };
}

async function handle(request: Request): Promise<Response> {
  const { pathname } = new URL(request.url);
  if (pathname !== '/predict' && pathname !== '/validate') return json({ error: 'not found: POST /predict' }, 404);
  if (request.method !== 'POST') return json({ error: `${request.method} ${pathname}: use POST` }, 405);
  if (pathname === '/validate') {
    const { n } = parseRows(await readBody(request), null);
    return json({ rows: n });
  }
  const m = await (model ??= loadModel(modelFile).catch((e: unknown) => {
    model = null;
    throw e;
  }));
  const { x, n } = parseRows(await readBody(request), m.inFeatures);
  // one forward pass: the label is the most probable class (softmax keeps the logits' order)
  const probs = m.predictProba(x, n);
  const K = m.outFeatures;
  const labels: string[] = [];
  const probabilities: number[][] = [];
  for (let s = 0; s < n; s++) {
    const row = Array.from(probs.subarray(s * K, (s + 1) * K));
    let best = 0;
    for (let k = 1; k < K; k++) if (row[k] > row[best]) best = k;
    labels.push(m.labels[best]);
    probabilities.push(row);
  }
  return json({ labels, probabilities });
}

export default {
  async fetch(request: Request): Promise<Response> {
    try {
      return await handle(request);
    } catch (e) {
      if (e instanceof BadRequest || e instanceof RangeError) return json({ error: e.message }, 400);
      return json({ error: `internal error: ${(e as Error).message}` }, 500);
    }
  },
};
