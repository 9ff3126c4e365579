/**
 * Masks: the one representation of unstructured pruning.
 *
 *   P_cut = P ⊙ M,   M[i,j] = 1 (keep) or 0 (pruned)
 *
 * A layer keeps its full-shape `weight` plus `mask` (src/nn/model.ts); pruned weights are exactly 0.
 * Masks compose like PyTorch's `torch.nn.utils.prune`: a new mask only acts on weights that are
 * still kept, so a pruned weight stays pruned (M_new = M_old ∧ M_step) and is never a candidate again.
 * Biases are not pruned unless a bias mask is passed explicitly.
 */
import type { Layer, MLP } from '../nn/model.js';
import { countNonzero } from '../util/stats.js';

/** The layer's mask, or an all-ones mask when nothing is pruned yet (not attached to the layer). */
export function currentMask(layer: Layer): Uint8Array {
  return layer.mask ?? new Uint8Array(layer.weight.length).fill(1);
}

/** M_old ∧ M_step: a weight is kept only if both masks keep it. */
export function composeMasks(old: Uint8Array | undefined, step: Uint8Array): Uint8Array {
  if (!old) return step.slice();
  if (old.length !== step.length) throw new RangeError(`composeMasks: mask lengths differ (${old.length} vs ${step.length})`);
  const out = new Uint8Array(step.length);
  for (let i = 0; i < step.length; i++) out[i] = old[i] & step[i] ? 1 : 0;
  return out;
}

/** Zero every weight whose mask entry is 0 (P ← P ⊙ M); optionally zero biases where `biasMask` is 0. */
export function applyMask(layer: Layer, opts: { biasMask?: Uint8Array } = {}): void {
  const { mask, weight, bias } = layer;
  if (mask) {
    if (mask.length !== weight.length) throw new RangeError(`applyMask: mask has ${mask.length} entries, weight has ${weight.length}`);
    for (let i = 0; i < weight.length; i++) if (!mask[i]) weight[i] = 0;
  }
  if (opts.biasMask) {
    if (opts.biasMask.length !== bias.length) throw new RangeError(`applyMask: bias mask has ${opts.biasMask.length} entries, bias has ${bias.length}`);
    for (let i = 0; i < bias.length; i++) if (!opts.biasMask[i]) bias[i] = 0;
  }
}

/** Compose `step` into the layer's mask and zero the newly pruned weights (in place). */
export function pruneLayer(layer: Layer, step: Uint8Array): void {
  if (step.length !== layer.weight.length) throw new RangeError(`pruneLayer: mask has ${step.length} entries, weight has ${layer.weight.length}`);
  layer.mask = composeMasks(layer.mask, step);
  applyMask(layer);
}

/** Number of kept entries (mask value 1). */
export function countKept(mask: Uint8Array): number {
  return countNonzero(mask);
}

/** Fraction of a layer's weights that are pruned by its mask (0 when it has no mask). */
export function maskSparsity(layer: Layer): number {
  if (!layer.mask || layer.mask.length === 0) return 0;
  return 1 - countKept(layer.mask) / layer.mask.length;
}

/** Fraction of all the model's weights pruned by masks. */
export function modelMaskSparsity(model: MLP): number {
  let pruned = 0,
    total = 0;
  for (const l of model.layers) {
    total += l.weight.length;
    if (l.mask) pruned += l.mask.length - countKept(l.mask);
  }
  return total ? pruned / total : 0;
}
