/**
 * The report's "where the bytes go" table: for the dense compact file and each point, the file
 * size beside its parts (FileParts: `prunekit info`'s parts summed over the layers, plus the
 * header) as exact byte counts and as a stacked bar (plain HTML, no script), then the same model
 * in the smallest storage (SmallFile): its size and the test accuracy it keeps.
 */
import type { FileParts, SweepPoint, SweepReport } from './report-types.js';
import { escapeXml as esc, PALETTE } from './svg.js';
import { accPct, comboOf, pct, points, times } from './summary.js';

/** The parts in table order, with their column labels and bar colours (the header, overhead, in grey). */
const PARTS: readonly [keyof FileParts, string, string][] = [
  ['weight', 'values / codes', PALETTE[0]],
  ['indices', 'column indices', PALETTE[1]],
  ['indptr', 'row pointers', PALETTE[2]],
  ['codebook', 'codebook', PALETTE[3]],
  ['tables', 'Huffman tables', PALETTE[4]],
  ['bias', 'biases', PALETTE[5]],
  ['preprocessing', 'input scaling', PALETTE[6]],
  ['header', 'header & metadata', PALETTE[7]],
];

const int = (n: number) => n.toLocaleString('en-US');

/** One horizontal bar, each part's share of the file as a coloured segment (its name and bytes in the tooltip). */
function stackedBar(parts: FileParts, total: number): string {
  const segments = PARTS.map(([key, label, color]) => {
    const n = parts[key];
    if (!n || !total) return '';
    const title = `${label}: ${int(n)} bytes (${((n / total) * 100).toFixed(1)}%)`;
    return `<span style="width:${((n / total) * 100).toFixed(2)}%;background:${color}" title="${esc(title)}"></span>`;
  }).join('');
  return `<span class="stack" role="img" aria-label="${esc(PARTS.map(([k, label]) => `${label} ${int(parts[k])}`).join(', '))}">${segments}</span>`;
}

function legend(): string {
  return `<p class="note legend">${PARTS.map(([, label, color]) => `<span><i style="background:${color}"></i>${esc(label)}</span>`).join(' ')}</p>`;
}

/** The cells of one row after the configuration and sparsity: file size, bar, parts (— where the report has none). */
function partCells(total: number, parts: FileParts | undefined): string[] {
  if (!parts) return [int(total), '', ...PARTS.map(() => '—')];
  return [int(total), stackedBar(parts, total), ...PARTS.map(([key]) => int(parts[key]))];
}

function smallCells(p: SweepPoint): string[] {
  const s = p.smallFile;
  if (!s) return ['—', '—', '—'];
  const d = s.accuracy - p.accuracy;
  return [int(s.bytes), times(p.bytes / s.bytes), `${accPct(s.accuracy)} (${d < 0 ? '−' : '+'}${points(d)})`];
}

/** The table, or '' when no point of the report records its parts (a report from before they were recorded). */
export function bytesTable(r: SweepReport, ordered: readonly SweepPoint[]): string {
  if (!ordered.some((p) => p.parts)) return '';
  const flags = ordered.find((p) => p.smallFile)?.smallFile?.flags ?? '';
  const head = [
    'configuration',
    'sparsity',
    'file bytes',
    'where they go',
    ...PARTS.map(([, label]) => label),
    'smallest file',
    'smaller by',
    'its test acc (Δ)',
  ];
  const th = head.map((h) => `<th scope="col">${esc(h)}</th>`).join('');
  // The bar cell holds HTML; every other cell is text.
  const tr = (cells: string[], cls = '') =>
    `<tr${cls}>${cells.map((c, i) => (i === 0 ? `<th scope="row">${esc(c)}</th>` : i === 3 ? `<td class="bar">${c}</td>` : `<td>${esc(c)}</td>`)).join('')}</tr>`;
  const dense = tr(['dense', pct(0), ...partCells(r.dense.bytes, r.dense.parts), '—', '—', '—'], ' class="dense"');
  const rows = ordered.map((p) => tr([comboOf(p), pct(p.sparsity), ...partCells(p.bytes, p.parts), ...smallCells(p)]));
  return (
    `<div class="table-wrap"><table data-table="bytes"><thead><tr>${th}</tr></thead><tbody>${dense}${rows.join('')}</tbody></table></div>` +
    legend() +
    `<p class="note">Bytes of each compact file by part, as <code>prunekit info</code> reports them per layer (summed here), the input standardisation (mean and scale) and the rest of the file (header &amp; metadata: tensor table, metadata JSON, padding), so each row adds up to its file size. ` +
    `Smallest file: the same pruned model compacted with <code>${esc(flags)}</code> (format_version 2), and its test accuracy as decoded, without centroid fine-tuning (Δ: percentage points vs the point's test accuracy).</p>`
  );
}

/** CSS for the bar cells and the legend, appended to the report's style sheet. */
export const BYTES_TABLE_CSS = `
td.bar{min-width:140px}
.stack{display:flex;height:12px;width:140px;background:#f0f0f0}
.stack span{display:block;height:100%}
.legend span{margin-right:12px;white-space:nowrap}
.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:-1px}
`;
