/**
 * What a model may make us allocate is bounded by its file: a width above FREE_WIDTH (65,536) must
 * be paid for by at least one byte of file per input, and the runtime's activation buffers stay
 * within its budget whatever the batch (the chunk shrinks for wide models), warm-up included.
 */
import { describe, expect, it } from 'vitest';
import type { Kernels } from '../src/kernels/types.js';
import { loadModel, loadModelSync } from '../src/runtime/index.js';
import { checkWidthsPaidFor, decodeModel, encodeModel, FREE_WIDTH } from '../src/sparse/format.js';
import { FormatError } from '../src/util/safetensors.js';
import { tinyCsrModel, wideCsrFile } from './helpers/crafted-models.js';

const MiB = 1024 * 1024;
/** Bytes of kernel memory a loaded model holds (white-box: the runtime keeps its kernels private). */
const wasmBytesOf = (model: unknown) => (model as { k: Kernels }).k.memory.buffer.byteLength;

describe('widths the file does not pay for', () => {
  it('a ~600-byte CSR file declaring 2^24 inputs is refused at decode, before any allocation', async () => {
    const bytes = wideCsrFile(1 << 24);
    expect(bytes.length).toBeLessThan(700);
    expect(() => decodeModel(bytes)).toThrow(FormatError);
    expect(() => decodeModel(bytes)).toThrow(
      new RegExp(`layer 0 takes 16777216 inputs, but the file is only ${bytes.length} bytes; a width above 65536 must be paid for`),
    );
    await expect(loadModel(bytes)).rejects.toThrow(/takes 16777216 inputs/);
  });

  it('the encoder refuses to write such a file', () => {
    expect(() => encodeModel(tinyCsrModel(FREE_WIDTH + 1))).toThrow(/layer 0 takes 65537 inputs, but the file is only \d+ bytes/);
  });

  it('legitimate sparse models load: 784 or 65,536 inputs with two nonzeros, or 100,000 inputs paid for by preprocessing or names', () => {
    for (const n of [784, FREE_WIDTH]) expect(decodeModel(encodeModel(tinyCsrModel(n))).layers[0].inFeatures).toBe(n);
    const wide = tinyCsrModel(100_000);
    wide.preprocessing.mean = new Float32Array(100_000);
    expect(decodeModel(encodeModel(wide)).layers[0].inFeatures).toBe(100_000);
    const named = tinyCsrModel(100_000);
    named.preprocessing.featureNames = Array.from({ length: 100_000 }, (_, i) => `f${i}`);
    expect(decodeModel(encodeModel(named)).layers[0].inFeatures).toBe(100_000);
  });

  it('the bound is max(FREE_WIDTH, file bytes), exactly', () => {
    const m = tinyCsrModel(FREE_WIDTH + 10);
    expect(() => checkWidthsPaidFor(m, FREE_WIDTH + 9)).toThrow(/65546 inputs/);
    expect(() => checkWidthsPaidFor(m, FREE_WIDTH + 10)).not.toThrow();
  });
});

describe('runtime memory is bounded by the activation budget, not by the batch', () => {
  it('a 65,536-input model: load (with warm-up) and 300 samples stay within ~20 MiB of kernel memory, with right answers', () => {
    const model = loadModelSync(encodeModel(tinyCsrModel(FREE_WIDTH)), { warmUp: true });
    expect(wasmBytesOf(model)).toBeLessThan(6 * MiB); // warm-up: at most 8 samples
    const n = 300,
      F = FREE_WIDTH;
    const x = new Float32Array(n * F);
    for (let s = 0; s < n; s++) {
      x[s * F] = s % 3;
      x[s * F + F - 1] = 1;
    } // logits: s%3 + 0.1 and −1 − 0.1
    const p = model.predictProba(x, n);
    for (let s = 0; s < n; s++) {
      const z0 = (s % 3) + 0.1,
        z1 = -1.1;
      expect(p[2 * s]).toBeCloseTo(1 / (1 + Math.exp(z1 - z0)), 6);
    }
    expect(wasmBytesOf(model)).toBeLessThan(20 * MiB); // 256 samples × 65,536 × 8 bytes would be 128 MiB
  });
});
