// Files prunekit must refuse: unsupported graphs and malformed ONNX / safetensors. Each gives an
// ImportError naming the op, node, tensor or byte involved; the CLI exits 1 without a stack trace
// and writes nothing. A fuzz loop flips bytes of valid files: the result is an ImportError or a
// valid model, never another exception.
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectFormat, importModel, ImportError } from '../../src/import/index.js';
import { naturalCompare } from '../../src/import/statedict.js';
import { decodeMLP, encodeMLP } from '../../src/nn/io.js';
import { encodeSafetensors } from '../../src/util/safetensors.js';
import { rng } from '../helpers/rng.js';
import { fixture, FIXTURES } from './fixtures.js';
import { runCli as cli } from '../helpers/cli.js';

const BAD: [string, RegExp][] = [
  ['conv.onnx', /unsupported op Conv '\/conv\/Conv'\. prunekit imports MLPs: Gemm, MatMul \+ Add/],
  ['residual.onnx', /tensor 'h1' .* feeds Gemm 'fc2', Add 'residual_add': Add 'residual_add' combines two computed tensors \(h1, h2\)/],
  ['branch.onnx', /tensor 'h1' .* feeds Gemm 'branch_a', Gemm 'branch_b': the graph branches here; prunekit imports a single chain of layers/],
  ['leaky-relu.onnx', /unsupported op LeakyRelu 'leaky1'\. prunekit imports MLPs/],
  ['shape-mismatch.onnx', /Gemm 'fc3' takes 12 inputs \(B is \[3,12\], transB = 1\) but its input has 16 features/],
  ['weight-is-input.onnx', /the graph has 2 data inputs \('input', 'W'\)/],
  ['opset-22.onnx', /written for opset 22; prunekit imports opsets 9 to 21/],
  ['external-data.onnx', /initializer 'W1': its data is stored in an external file/],
  ['nan-weight.onnx', /layer 0 \(Gemm 'fc1'\) weight holds NaN at index 29/],
  ['truncated.onnx', /not a valid ONNX model \(protobuf decoding failed/],
  ['garbage.onnx', /not a valid ONNX model \(protobuf decoding failed/],
  ['empty.onnx', /the file is empty/],
  ['sd-no-chain.safetensors', /the layers do not chain: '0\.weight' gives 16 outputs but the next layer '2\.weight' takes 12 inputs/],
  ['sd-missing-bias.safetensors', /tensor '2\.weight' has no matching bias '2\.bias'/],
  ['sd-extra-tensor.safetensors', /tensors 'embed\.table' are not part of a linear layer/],
  ['torch-batchnorm.safetensors', /tensors '1\.running_mean', '1\.running_var', '1\.num_batches_tracked' are not part of a linear layer/],
  ['sd-truncated.safetensors', /tensor '4\.weight': data_offsets \[1664, 1856\] lie outside the data section/],
];

describe('import refuses what it cannot represent', () => {
  it('every file in fixtures/import/bad is listed here', () => {
    expect(readdirSync(FIXTURES + 'bad').sort()).toEqual(BAD.map(([f]) => f).sort());
  });

  it.each(BAD)('%s → ImportError naming what is wrong', (file, message) => {
    const run = () => importModel(fixture('bad/' + file), { file, activations: file.endsWith('.safetensors') ? ['relu'] : undefined });
    expect(run).toThrow(ImportError);
    expect(run).toThrow(message);
  });

  it.each(BAD)('prunekit import --from %s exits 1 with the message, no stack trace, nothing written', async (file, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'pk-import-'));
    const out = join(dir, 'model.safetensors');
    const r = await cli(['import', '--from', FIXTURES + 'bad/' + file, '--out', out, ...(file.endsWith('.safetensors') ? ['--activation', 'relu'] : [])]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
    expect(r.err).toMatch(/^prunekit import: /);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a state dict without --activation, or with the wrong number of them, is refused by name', () => {
    const f = 'torch-seq.safetensors';
    expect(() => importModel(fixture(f), { file: f })).toThrow(/records no activation functions; give one .* or one per hidden layer \(2\)/);
    expect(() => importModel(fixture(f), { file: f, activations: ['relu', 'tanh', 'relu'] })).toThrow(/3 activations given for 2 hidden layers/);
  });

  it('a state dict in the wrong layout says which layout fits', () => {
    const f = 'keras-dense-in-out.safetensors';
    expect(() => importModel(fixture(f), { file: f, activations: ['relu'] })).toThrow(/'dense\.bias' has shape \[16\], expected \[8\].*try --layout in-out/);
  });

  it('--activation/--layout on an ONNX file are refused (the graph records them)', () => {
    const f = 'torch-seq-opset13.onnx';
    expect(() => importModel(fixture(f), { file: f, activations: ['relu'] })).toThrow(/apply to safetensors state dicts/);
  });
});

describe('import: fuzzed bytes give an ImportError or a valid model, never another exception', () => {
  const valid = (m: ReturnType<typeof importModel>['model']) => {
    const back = decodeMLP(encodeMLP(m)); // validates shapes, chaining and finiteness
    expect(back.layers.length).toBe(m.layers.length);
  };
  it.each([
    ['torch-seq-opset13.onnx', {}],
    ['sklearn-pipeline-iris.onnx', {}],
    ['relu-gemm-f16-int32-data-opset13.onnx', {}],
    ['torch-relu.safetensors', { activations: ['relu' as const] }],
  ])('%s: 400 mutations of 1–3 bytes, and every 7th truncation', (file, flags) => {
    const base = fixture(file);
    const r = rng(12345);
    let refused = 0,
      imported = 0;
    const attempt = (bytes: Uint8Array) => {
      try {
        valid(importModel(bytes, { file, ...flags }).model);
        imported++;
      } catch (e) {
        if (!(e instanceof ImportError)) throw new Error(`not an ImportError: ${(e as Error)?.name}: ${(e as Error)?.message}`);
        refused++;
      }
    };
    for (let i = 0; i < 400; i++) {
      const b = base.slice();
      for (let k = 1 + r.int(3); k > 0; k--) b[r.int(b.length)] = r.int(256);
      attempt(b);
    }
    for (let n = 0; n < base.length; n += 7) attempt(base.subarray(0, n));
    expect(refused).toBeGreaterThan(0);
    expect(imported + refused).toBe(400 + Math.ceil(base.length / 7));
  });
});

describe('import helpers', () => {
  it('orders layer names naturally: numbers as numbers', () => {
    expect(['fc10', 'fc2', 'fc1'].sort(naturalCompare)).toEqual(['fc1', 'fc2', 'fc10']);
    expect(['10', '2', '0'].sort(naturalCompare)).toEqual(['0', '2', '10']);
    expect(['dense_1', 'dense', 'dense_2'].sort(naturalCompare)).toEqual(['dense', 'dense_1', 'dense_2']);
    expect(['layers.10.lin', 'layers.9.lin'].sort(naturalCompare)).toEqual(['layers.9.lin', 'layers.10.lin']);
  });

  it('detects the format by name, else by the safetensors header', () => {
    expect(detectFormat(fixture('torch-relu.safetensors'), 'weights.bin')).toBe('safetensors');
    expect(detectFormat(fixture('torch-seq-opset13.onnx'), 'model.bin')).toBe('onnx');
    expect(detectFormat(new Uint8Array(), 'x.ONNX')).toBe('onnx');
  });

  it('orders torch-named.safetensors fc1, fc2, fc10 (not the string order fc1, fc10, fc2)', () => {
    const f = 'torch-named.safetensors';
    expect(importModel(fixture(f), { file: f, activations: ['logistic'] }).summary.layers.map((l) => l.from)).toEqual(['fc1', 'fc2', 'fc10']);
  });

  it('a state dict whose names do not chain but whose shapes do is ordered by shape, and says so', () => {
    const t = (shape: number[]) => ({ dtype: 'F32' as const, shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5) });
    const bytes = encodeSafetensors({ 'head.weight': t([3, 16]), 'head.bias': t([3]), 'input.weight': t([16, 8]), 'input.bias': t([16]) });
    const { summary } = importModel(bytes, { file: 'sd.safetensors', activations: ['relu'] });
    expect(summary.layers.map((l) => [l.from, l.in, l.out])).toEqual([
      ['input', 8, 16],
      ['head', 16, 3],
    ]);
    expect(summary.notes.join()).toMatch(/ordered by shape \(input → head\)/);
    // two equally valid orders: ambiguous, refused
    const amb = encodeSafetensors({
      'a.weight': t([4, 4]),
      'a.bias': t([4]),
      'b.weight': t([4, 4]),
      'b.bias': t([4]),
      'c.weight': t([4, 2]),
      'c.bias': t([4]),
    });
    expect(() => importModel(amb, { file: 'amb.safetensors', activations: ['relu'] })).toThrow(
      /'b\.weight' gives 4 outputs but the next layer 'c\.weight' takes 2 inputs/,
    );
  });
});
