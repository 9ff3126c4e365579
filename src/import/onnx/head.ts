/**
 * The classifier head after the logits: Softmax/LogSoftmax, ArgMax, ArrayFeatureExtractor over
 * the class labels, ZipMap, Identity/Cast/Reshape, and the two-class head Sigmoid [→ Sub(1, p) →
 * Concat]. Checks that nothing else follows the last layer and reads the class labels.
 */
import { ImportError } from '../errors.js';
import type { ImportedLayer } from '../network.js';
import { attr, attrInt, describe, utf8, type NodeObject } from './proto.js';
import { HEAD_OPS, isMlDomain, SUPPORTED } from './ops.js';
import type { Constant } from './tensor.js';

/** What the head needs from the walk: the file (for messages), the constants, the layers. */
export interface HeadContext {
  file: string;
  constants: Map<string, Constant>;
  layers: ImportedLayer[];
}

/**
 * Everything after the logits: checks it is only a classifier head and reads the class labels
 * (ArrayFeatureExtractor's constant first, else ZipMap's attribute). Every other node must be on
 * the chain, a constant, or here.
 */
export function readHead(
  nodes: NodeObject[],
  body: Set<NodeObject>,
  folded: Set<NodeObject>,
  logits: string,
  w: HeadContext,
  graphOutputs: Set<string>,
): { labels: string[] | null; notes: string[]; output: string } {
  const reached = new Set([logits]);
  const notes: string[] = [];
  let labels: string[] | null = null,
    zipLabels: string[] | null = null;
  let binary = false;
  const last = w.layers.at(-1)!;
  for (const n of nodes) {
    if (body.has(n) || folded.has(n)) continue;
    const ins = (n.input ?? []).filter((x) => x !== '');
    if (!ins.some((x) => reached.has(x))) {
      throw new ImportError(
        `${w.file}: ${describe(n)} is not on the chain from the input to the output; prunekit imports a single chain of layers (${SUPPORTED})`,
      );
    }
    const outside = ins.filter((x) => !reached.has(x) && !w.constants.has(x));
    if (outside.length)
      throw new ImportError(`${w.file}: ${describe(n)} after the last layer also reads '${outside.join("', '")}', which is not part of the classifier output`);
    const op = n.op_type ?? '';
    const fail = (why: string): never => {
      throw new ImportError(`${w.file}: ${describe(n)}: ${why}`);
    };
    const axisOk = (def: number) => {
      const a = attrInt(n, 'axis', def);
      return a === 1 || a === -1;
    };
    if (isMlDomain(n.domain)) {
      if (op === 'ArrayFeatureExtractor') {
        const c = w.constants.get(n.input?.[0] ?? '');
        if (!c || reached.has(n.input?.[0] ?? '')) fail('expected the class labels (a constant) as input 0');
        labels = c!.strings ?? Array.from(c!.values!, String);
      } else if (op === 'ZipMap') {
        const s = attr(n, 'classlabels_strings')?.strings,
          i = attr(n, 'classlabels_int64s')?.ints;
        zipLabels = s?.length ? s.map(utf8) : i?.length ? i.map(String) : null;
      } else {
        fail('a Scaler after the last layer cannot be imported');
      }
    } else if (op === 'Softmax' || op === 'LogSoftmax') {
      // default axis: 1 before opset 13, −1 from 13; both are the class axis of [N, classes]
      if (!axisOk(1)) fail(`axis ${attrInt(n, 'axis', 1)}: expected the class axis (1 or −1)`);
      if (n.input?.[0] === logits) notes.push(`final ${op} (${describe(n)}) dropped: the imported model's last layer gives logits`);
    } else if (op === 'ArgMax') {
      if (!axisOk(0)) fail(`axis ${attrInt(n, 'axis', 0)}: expected the class axis (1 or −1)`);
    } else if (op === 'Sigmoid' || op === 'Sub' || op === 'Concat') {
      // the two-class head: p = σ(z) (skl2onnx goes on: probabilities = [1 − p, p])
      if (last.outFeatures !== 1 && !binary)
        fail(
          `after the last layer only the two-class head Sigmoid [→ Sub(1, p) → Concat] is supported, on a layer with one output (this one has ${last.outFeatures})`,
        );
      if (op === 'Sigmoid') binary = true;
      if (op === 'Sub' && !(w.constants.get(n.input?.[0] ?? '')?.values?.[0] === 1 && reached.has(n.input?.[1] ?? ''))) fail('expected Sub(1, p)');
      if (op === 'Concat' && !axisOk(1)) fail('expected concatenation along axis 1');
    } else if (!HEAD_OPS.has(op)) {
      fail(
        `not supported after the last layer (${last.origin}): expected a classifier head (Softmax/LogSoftmax, ArgMax, ArrayFeatureExtractor, ZipMap, Identity, Cast, Reshape)`,
      );
    }
    for (const o of n.output ?? []) if (o) reached.add(o);
  }
  if (binary) {
    // one logit z with p = σ(z) → two logits [0, z]: softmax([0, z]) = [1/(1 + e^z), e^z/(1 + e^z)] = [1 − σ(z), σ(z)]
    const weight = new Float64Array(2 * last.inFeatures);
    weight.set(last.weight, last.inFeatures);
    last.weight = weight;
    last.bias = Float64Array.of(0, last.bias[0]);
    last.outFeatures = 2;
    notes.push('two-class head: the single logistic output z became two logits [0, z] (softmax([0, z]) = [1 − σ(z), σ(z)])');
  }
  if (![...graphOutputs].some((o) => reached.has(o))) {
    throw new ImportError(`${w.file}: no graph output (${[...graphOutputs].join(', ') || 'none'}) is computed from the logits '${logits}'`);
  }
  if (labels && zipLabels && labels.join('\u0000') !== zipLabels.join('\u0000')) {
    notes.push(`ZipMap labels (${zipLabels.join(', ')}) differ from ArrayFeatureExtractor's (${labels.join(', ')}); using the latter`);
  }
  return { labels: labels ?? zipLabels, notes, output: logits };
}
