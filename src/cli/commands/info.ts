/** `prunekit info FILE [--json]`: layers, formats, nonzeros, bytes per part. Imports only the file reader. */
import { readFileSync } from 'node:fs';
import { parse, RunError, UsageError } from '../args.js';
import { decodeModel } from '../../sparse/format.js';
import { describeModel } from '../../sparse/info.js';
import { printJson } from '../json.js';

const usage = `usage: prunekit info FILE [--json]

Shows a compact model file (written by \`prunekit compact\`): each layer's format (dense|csr),
value encoding, index type (plain u8/u16/u32 or relative delta:B), entropy coding, nonzeros and
bytes per part (Huffman code-length tables included), the file size and the size of its layers
stored dense f32 (after dead-neuron removal: compact's dense size is of its input, before). --json prints {"bytes", "denseBytes", "layers": [...]} (and "dense_bytes", deprecated).`;

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: 'boolean' } }, true);
  if (positionals.length !== 1) throw new UsageError('expected exactly one model file');
  const path = positionals[0];
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`${path}: no such file`);
    throw new RunError(`cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  let info;
  try {
    info = describeModel(decodeModel(bytes), bytes.length);
  } catch (e) {
    throw new RunError(`${path}: ${(e as Error).message}`, { cause: e });
  }
  if ((values as { json?: boolean }).json) {
    printJson(info);
    return 0;
  }
  const lines = [
    `${path}: ${info.bytes} bytes (its layers as dense f32, after dead-neuron removal: ${info.dense_bytes} bytes, ${(info.bytes / info.dense_bytes).toFixed(3)}×), format_version ${info.format_version}, ${info.features} features → ${info.labels.length || info.layers.at(-1)!.outFeatures} classes`,
  ];
  lines.push('layer  shape        act       format  values  index    entropy  nonzeros  density  bytes (weight+indices+indptr+codebook+tables+bias)');
  info.layers.forEach((l, i) => {
    const b = l.bytes;
    lines.push(
      `${String(i).padEnd(6)} ${`${l.outFeatures}×${l.inFeatures}`.padEnd(12)} ${l.activation.padEnd(9)} ${l.format.padEnd(7)} ${l.values.padEnd(7)} ${(l.index ?? '-').padEnd(8)} ${l.entropy.padEnd(8)} ${String(l.nonzeros).padStart(8)}  ${l.density.toFixed(3).padStart(7)}  ${b.total} (${b.weight}+${b.indices}+${b.indptr}+${b.codebook}+${b.tables}+${b.bias})`,
    );
  });
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

export default { usage, run };
