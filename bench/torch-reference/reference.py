"""PyTorch reference for BENCHMARKS.md: LeNet-300-100 on prunekit's built-in MNIST split.

Dense: 20 epochs, batch 64, SGD lr 0.1 momentum 0.9 (no weight decay), PyTorch's default init.
Then iterative global L1 pruning with torch.nn.utils.prune.global_unstructured to
50 → 80 → 90 → 95 → 98 → 99% with 5 fine-tuning epochs per step (same optimiser settings).
One thread (torch.set_num_threads(1)) for the time per epoch. Prints JSON.

  npx tsx bench/torch-reference/export-split.ts
  /usr/bin/python3 bench/torch-reference/reference.py [DIR] [--seed N]

Needs Debian's python3-torch (not a dependency of prunekit; no test runs this).
"""
import json, sys, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.utils.prune as prune

argv = sys.argv[1:]
seed = 0
if '--seed' in argv:
    k = argv.index('--seed'); seed = int(argv[k + 1]); del argv[k:k + 2]
d = argv[0] if argv else '.scratch/torch-reference'
torch.manual_seed(seed); np.random.seed(seed)
torch.set_num_threads(1)

meta = json.load(open(f'{d}/meta.json'))
def load(name, n):
    x = np.fromfile(f'{d}/{name}-x.f32', dtype='<f4').reshape(n, meta['nFeatures'])
    y = np.fromfile(f'{d}/{name}-y.i32', dtype='<i4').astype(np.int64)
    return torch.from_numpy(x.copy()), torch.from_numpy(y)
xtr, ytr = load('train', meta['train']); xte, yte = load('test', meta['test'])

model = nn.Sequential(nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 100), nn.ReLU(), nn.Linear(100, 10))
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
loss_fn = nn.CrossEntropyLoss()

def epoch():
    model.train(); perm = torch.randperm(len(xtr)); t0 = time.perf_counter()
    for i in range(0, len(xtr), 64):
        idx = perm[i:i + 64]; opt.zero_grad(); loss_fn(model(xtr[idx]), ytr[idx]).backward(); opt.step()
    return time.perf_counter() - t0

def accuracy():
    model.eval()
    with torch.no_grad(): return float((model(xte).argmax(1) == yte).float().mean())

seconds = [epoch() for _ in range(20)]
result = {'torch': torch.__version__, 'threads': torch.get_num_threads(), 'seed': seed,
          'dense_accuracy': accuracy(), 'seconds_per_epoch_median': float(np.median(seconds)), 'pruned': []}
params = [(m, 'weight') for m in model if isinstance(m, nn.Linear)]
total = sum(m.weight.numel() for m, _ in params); done = 0.0
for target in [0.5, 0.8, 0.9, 0.95, 0.98, 0.99]:
    # global_unstructured's amount is a fraction of the weights still unpruned
    prune.global_unstructured(params, pruning_method=prune.L1Unstructured, amount=(target - done) / (1 - done))
    done = target
    for _ in range(5): epoch()
    zeros = sum(int((m.weight == 0).sum()) for m, _ in params)
    result['pruned'].append({'sparsity': target, 'measured_sparsity': zeros / total, 'accuracy': accuracy()})
print(json.dumps(result, indent=1))
