/**
 * What recording the training history (src/nn/history.ts: range per epoch, movement S −= w⊙g per
 * step, w₀) costs `train`: LeNet-300-100 on the built-in MNIST split, batch 64, epochs alternating
 * with and without the recorder from the same initial weights. Prints median seconds per epoch.
 *
 *   npx tsx bench/history-overhead.ts [rounds=3]
 */
import { loadData } from '../src/data/index.js';
import { createMLP } from '../src/nn/model.js';
import { HistoryRecorder } from '../src/nn/history.js';
import { train } from '../src/nn/train.js';

const rounds = Number(process.argv[2] ?? 3);
const data = await loadData('mnist', { seed: 42 });
const sizes = [784, 300, 100, 10];
const times: Record<'plain' | 'history', number[]> = { plain: [], history: [] };
for (let r = 0; r < rounds; r++) {
  for (const kind of ['plain', 'history'] as const) {
    const model = createMLP({ sizes, activation: 'relu', seed: 1 });
    const hooks = kind === 'history' ? new HistoryRecorder(model).hooks : {};
    const t0 = performance.now();
    await train(model, { train: data.train }, { epochs: 1, batchSize: 64, lr: 0.1, seed: 1 }, hooks);
    times[kind].push((performance.now() - t0) / 1000);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const plain = median(times.plain),
  hist = median(times.history);
console.log(
  `train, 1 epoch of ${data.train.nSamples} samples, median of ${rounds}: plain ${plain.toFixed(3)} s, with history ${hist.toFixed(3)} s (${(((hist - plain) / plain) * 100).toFixed(0)}% more)`,
);
