/**
 * The shape arithmetic exporters write in front of a Reshape when the batch size is dynamic —
 * PyTorch's `x.view(x.size(0), -1)` becomes
 *
 *   Shape(x) → Gather(index 0) → Unsqueeze → Concat(with [-1]) → Reshape(x, ·)
 *
 * evaluated symbolically: the batch dimension is the symbol 'N', the others are numbers, null
 * where unknown. Only integer bookkeeping on shapes is evaluated (Shape, Gather, Unsqueeze, Squeeze,
 * Concat, Slice, Cast, Identity, Mul); anything else makes the shape unknown (null).
 */
import type { Constant } from './tensor.js';
import { attr, attrInt, type NodeObject } from './proto.js';

/** A dimension: a number, the batch size 'N', or null (unknown). */
export type Dim = number | 'N' | null;

export interface ShapeContext {
  /** The node that writes a tensor. */
  producer(name: string): NodeObject | undefined;
  constant(name: string): Constant | undefined;
  /** The full shape of a data tensor (['N', …]) when it is known, for Shape. */
  dataShape(name: string): Dim[] | undefined;
  /** Filled with every node the evaluation read. */
  used: Set<NodeObject>;
}

const MAX_DEPTH = 64;

/** The value of the integer tensor `name` (scalars as one-element lists), or null if it cannot be evaluated. */
export function evalShape(name: string, ctx: ShapeContext, depth = 0): Dim[] | null {
  const c = ctx.constant(name);
  if (c) return c.values ? Array.from(c.values) : null;
  const n = ctx.producer(name);
  if (!n || depth > MAX_DEPTH) return null;
  const arg = (i: number) => (n.input?.[i] ? evalShape(n.input[i], ctx, depth + 1) : null);
  let v: Dim[] | null = null;
  switch (n.op_type) {
    case 'Shape': {
      // opset 15 adds start/end (negative counts from the end)
      const s = ctx.dataShape(n.input?.[0] ?? '');
      if (!s) return null;
      const clamp = (i: number) => Math.max(0, Math.min(s.length, i < 0 ? i + s.length : i));
      v = s.slice(clamp(attrInt(n, 'start', 0)), attr(n, 'end') ? clamp(attrInt(n, 'end', s.length)) : s.length);
      break;
    }
    case 'Gather': {
      const data = arg(0),
        idx = arg(1);
      if (!data || !idx || attrInt(n, 'axis', 0) !== 0) return null;
      v = [];
      for (const i of idx) {
        if (typeof i !== 'number' || !Number.isInteger(i) || i < -data.length || i >= data.length) return null;
        v.push(data[i < 0 ? i + data.length : i]);
      }
      break;
    }
    case 'Unsqueeze':
    case 'Squeeze':
    case 'Cast':
    case 'Identity':
      v = arg(0); // on 0-d and 1-d values these change the rank only
      break;
    case 'Concat': {
      if (attrInt(n, 'axis', 0) !== 0 && attrInt(n, 'axis', 0) !== -1) return null;
      v = [];
      for (let i = 0; i < (n.input?.length ?? 0); i++) {
        const part = arg(i);
        if (!part) return null;
        v.push(...part);
      }
      break;
    }
    case 'Slice': {
      // 1-d, step 1: starts/ends as inputs (opset 10+) or attributes (opset 9)
      const data = arg(0);
      const starts = n.input?.[1] ? arg(1) : (attr(n, 'starts')?.ints ?? null);
      const ends = n.input?.[2] ? arg(2) : (attr(n, 'ends')?.ints ?? null);
      const steps = n.input?.[4] ? arg(4) : [1];
      if (!data || !starts || !ends || starts.length !== 1 || ends.length !== 1 || steps?.[0] !== 1) return null;
      const [a, b] = [starts[0], ends[0]];
      if (typeof a !== 'number' || typeof b !== 'number') return null;
      const clamp = (i: number) => Math.max(0, Math.min(data.length, i < 0 ? i + data.length : i));
      v = data.slice(clamp(a), clamp(b));
      break;
    }
    case 'Mul': {
      const a = arg(0),
        b = arg(1);
      if (!a || !b || (a.length !== b.length && a.length !== 1 && b.length !== 1)) return null;
      v = Array.from({ length: Math.max(a.length, b.length) }, (_, i) => {
        const x = a[a.length === 1 ? 0 : i],
          y = b[b.length === 1 ? 0 : i];
        if (typeof x === 'number' && typeof y === 'number') return x * y;
        if (x === 'N' && y === 1) return 'N';
        if (y === 'N' && x === 1) return 'N';
        return null;
      });
      break;
    }
    default:
      return null;
  }
  if (v) ctx.used.add(n);
  return v;
}
