/**
 * Tiny dependency-free SVG charts: a line chart (several series, optional log y axis, horizontal
 * reference lines) and a grouped bar chart. Each returns one `<svg data-chart="id">` string with
 * all text escaped, sized by its viewBox so it scales to its container and prints cleanly.
 *
 * Every plotted datum carries its values as data attributes so a test can check the chart holds
 * data: a line series is `<g data-series="name">` with one `<circle data-x data-y>` per point,
 * a bar is `<rect data-series data-category data-value>`, a reference line is `<line data-reference>`.
 */

/** Escapes text for use in SVG/HTML element content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Okabe–Ito palette: distinguishable with the common colour-vision deficiencies, and in greyscale print by dash. */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#999999'];

export interface LineSeries {
  name: string;
  points: ReadonlyArray<readonly [number, number]>;
  color?: string;
  dashed?: boolean;
}

export interface Reference {
  name: string;
  value: number;
}

export interface LineChartOptions {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly LineSeries[];
  /** Horizontal reference lines (e.g. dense accuracy). */
  references?: readonly Reference[];
  xFormat?: (v: number) => string;
  yFormat?: (v: number) => string;
  /** Force the y range to include these values (e.g. 0). */
  yInclude?: readonly number[];
  yScale?: 'linear' | 'log';
  width?: number;
}

export interface BarGroup {
  name: string;
  values: readonly number[];
  color?: string;
}

export interface BarChartOptions {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  categories: readonly string[];
  /** One bar per group within each category; `values[i]` belongs to `categories[i]`. */
  groups: readonly BarGroup[];
  references?: readonly Reference[];
  yFormat?: (v: number) => string;
  width?: number;
}

/** A compact number: 3 significant digits, k/M suffixes for large values. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1e6) return `${trim((v / 1e6).toPrecision(3))}M`;
  if (a >= 1e4) return `${trim((v / 1e3).toPrecision(3))}k`;
  if (a === 0) return '0';
  return trim(a >= 1 ? v.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : 2) : v.toPrecision(2));
}
const trim = (s: string) => (s.includes('.') && !s.includes('e') ? s.replace(/\.?0+$/, '') : s);

/** "Nice" tick values (1, 2, 2.5 or 5 × 10^k steps) covering [min, max] with about `count` ticks. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(Number.isFinite(min) && Number.isFinite(max))) throw new RangeError(`niceTicks: non-finite range [${min}, ${max}]`);
  if (min === max) {
    const d = Math.abs(min) * 0.1 || 1;
    min -= d;
    max += d;
  }
  if (min > max) [min, max] = [max, min];
  const raw = (max - min) / Math.max(1, count - 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const lo = Math.floor(min / step + 1e-9) * step;
  const hi = Math.ceil(max / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let t = lo; t <= hi + step * 1e-6; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** Log-axis ticks: 1, 2, 5 × 10^k spanning [min, max] (both > 0). */
export function logTicks(min: number, max: number): number[] {
  if (!(min > 0 && max > 0)) throw new RangeError(`logTicks: range must be positive, got [${min}, ${max}]`);
  const out: number[] = [];
  for (let k = Math.floor(Math.log10(min)); k <= Math.ceil(Math.log10(max)); k++) {
    for (const m of [1, 2, 5]) out.push(Number((m * 10 ** k).toPrecision(12)));
  }
  const lo = out.filter((t) => t <= min).pop() ?? out[0];
  const hi = out.find((t) => t >= max) ?? out[out.length - 1];
  const ticks = out.filter((t) => t >= lo && t <= hi);
  // with many decades, keep only the powers of ten
  return ticks.length > 9 ? ticks.filter((t) => Number.isInteger(Math.log10(t))) : ticks;
}

// Layout, in viewBox units (≈ CSS px at the default width).
const TITLE_H = 28,
  M_LEFT = 70,
  M_RIGHT = 20,
  M_BOTTOM = 44,
  PLOT_H = 220,
  LEGEND_ROW = 18;
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif"';
const f = (v: number) => (Math.round(v * 10) / 10).toString();

interface Legend {
  svg: string;
  height: number;
}

/** Legend items laid out left to right, wrapping, below the plot. */
function legend(items: { name: string; color: string; dashed?: boolean; kind: 'line' | 'bar' }[], top: number, width: number): Legend {
  let x = M_LEFT,
    y = top + 12,
    rows = items.length ? 1 : 0;
  const parts: string[] = [];
  for (const it of items) {
    const w = 30 + it.name.length * 6.9;
    if (x + w > width - M_RIGHT && x > M_LEFT) {
      x = M_LEFT;
      y += LEGEND_ROW;
      rows++;
    }
    const mark =
      it.kind === 'bar'
        ? `<rect x="${f(x)}" y="${f(y - 9)}" width="14" height="10" fill="${it.color}"/>`
        : `<line x1="${f(x)}" y1="${f(y - 4)}" x2="${f(x + 18)}" y2="${f(y - 4)}" stroke="${it.color}" stroke-width="2.5"${it.dashed ? ' stroke-dasharray="5 3"' : ''}/>`;
    parts.push(`<g class="legend-item">${mark}<text x="${f(x + 22)}" y="${f(y)}" font-size="12.5">${escapeXml(it.name)}</text></g>`);
    x += w;
  }
  return { svg: parts.join(''), height: rows * LEGEND_ROW + (rows ? 8 : 0) };
}

function frame(id: string, title: string, width: number, height: number, body: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" data-chart="${escapeXml(id)}" viewBox="0 0 ${width} ${f(height)}" role="img" aria-label="${escapeXml(title)}" ${FONT}>` +
    `<title>${escapeXml(title)}</title>` +
    `<text x="${M_LEFT}" y="18" font-size="15" font-weight="600">${escapeXml(title)}</text>` +
    body +
    '</svg>'
  );
}

/** The plot area [x0,x1]×[y0,y1] (y0 top) of a chart `width` wide: margins left and right, the title above. */
function plotArea(width: number): { x0: number; x1: number; y0: number; y1: number } {
  const y0 = TITLE_H + 8;
  return { x0: M_LEFT, x1: width - M_RIGHT, y0, y1: y0 + PLOT_H };
}

type Tick = { pos: number; label: string };

/** Axis lines, grid, tick labels and axis titles around a plot area. */
function axes(area: { x0: number; x1: number; y0: number; y1: number }, xTicks: Tick[], yTicks: Tick[], xLabel: string, yLabel: string): string {
  const { x0, x1, y0, y1 } = area;
  const g: string[] = [];
  for (const t of yTicks) {
    g.push(`<line x1="${f(x0)}" y1="${f(t.pos)}" x2="${f(x1)}" y2="${f(t.pos)}" stroke="#e3e3e3"/>`);
    g.push(`<text x="${f(x0 - 6)}" y="${f(t.pos + 4)}" font-size="12" text-anchor="end" fill="#444">${escapeXml(t.label)}</text>`);
  }
  for (const t of xTicks) {
    g.push(`<line x1="${f(t.pos)}" y1="${f(y1)}" x2="${f(t.pos)}" y2="${f(y1 + 4)}" stroke="#888"/>`);
    g.push(`<text x="${f(t.pos)}" y="${f(y1 + 17)}" font-size="12" text-anchor="middle" fill="#444">${escapeXml(t.label)}</text>`);
  }
  g.push(`<line x1="${f(x0)}" y1="${f(y1)}" x2="${f(x1)}" y2="${f(y1)}" stroke="#888"/>`);
  g.push(`<line x1="${f(x0)}" y1="${f(y0)}" x2="${f(x0)}" y2="${f(y1)}" stroke="#888"/>`);
  g.push(`<text x="${f((x0 + x1) / 2)}" y="${f(y1 + 36)}" font-size="13" text-anchor="middle">${escapeXml(xLabel)}</text>`);
  const ym = (y0 + y1) / 2;
  g.push(`<text x="14" y="${f(ym)}" font-size="13" text-anchor="middle" transform="rotate(-90 14 ${f(ym)})">${escapeXml(yLabel)}</text>`);
  return `<g class="axes">${g.join('')}</g>`;
}

function referenceLines(refs: readonly Reference[], sy: (v: number) => number, x0: number, x1: number, fmt: (v: number) => string): string {
  return refs
    .filter((r) => Number.isFinite(r.value))
    .map((r) => {
      const y = sy(r.value);
      return (
        `<g data-reference="${escapeXml(r.name)}" data-y="${r.value}"><line x1="${f(x0)}" y1="${f(y)}" x2="${f(x1)}" y2="${f(y)}" stroke="#555" stroke-width="1.5" stroke-dasharray="2 3"/>` +
        `<text x="${f(x1 - 4)}" y="${f(y - 4)}" font-size="12" text-anchor="end" fill="#333" stroke="#fff" stroke-width="3" paint-order="stroke">${escapeXml(`${r.name} ${fmt(r.value)}`)}</text></g>`
      );
    })
    .join('');
}

function noData(id: string, title: string, width: number): string {
  return frame(id, title, width, 80, `<text x="${M_LEFT}" y="52" font-size="12" fill="#777" data-empty="true">No data measured.</text>`);
}

/** A line chart: one polyline and one marker per point for each series. Non-finite points are skipped. */
export function lineChart(o: LineChartOptions): string {
  const width = o.width ?? 520;
  const xFmt = o.xFormat ?? formatNumber,
    yFmt = o.yFormat ?? formatNumber;
  const log = o.yScale === 'log';
  const ok = (p: readonly [number, number]) => Number.isFinite(p[0]) && Number.isFinite(p[1]) && (!log || p[1] > 0);
  const series = o.series.map((s, i) => ({
    ...s,
    color: s.color ?? PALETTE[i % PALETTE.length],
    points: s.points
      .filter(ok)
      .slice()
      .sort((a, b) => a[0] - b[0]),
  }));
  const refs = (o.references ?? []).filter((r) => Number.isFinite(r.value) && (!log || r.value > 0));
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = [...series.flatMap((s) => s.points.map((p) => p[1])), ...refs.map((r) => r.value), ...(o.yInclude ?? [])];
  if (xs.length === 0) return noData(o.id, o.title, width);

  const xt = niceTicks(Math.min(...xs), Math.max(...xs), 6);
  const yt = log ? logTicks(Math.min(...ys), Math.max(...ys)) : niceTicks(Math.min(...ys), Math.max(...ys), 5);
  const area = plotArea(width);
  const { x0, x1, y0, y1 } = area;
  const [xl, xh] = [xt[0], xt[xt.length - 1]];
  const [yl, yh] = log ? [Math.log10(yt[0]), Math.log10(yt[yt.length - 1])] : [yt[0], yt[yt.length - 1]];
  const sx = (v: number) => x0 + ((v - xl) / (xh - xl || 1)) * (x1 - x0);
  const sy = (v: number) => y1 - (((log ? Math.log10(v) : v) - yl) / (yh - yl || 1)) * (y1 - y0);

  const xTicks = xt.map((t) => ({ pos: sx(t), label: xFmt(t) }));
  const yTicks = yt.map((t) => ({ pos: sy(t), label: yFmt(t) }));
  const body: string[] = [axes(area, xTicks, yTicks, o.xLabel, o.yLabel)];
  body.push(referenceLines(refs, sy, x0, x1, yFmt));
  for (const s of series) {
    if (s.points.length === 0) continue;
    const d = s.points.map((p, i) => `${i ? 'L' : 'M'}${f(sx(p[0]))} ${f(sy(p[1]))}`).join(' ');
    const dots = s.points
      .map(
        (p) =>
          `<circle cx="${f(sx(p[0]))}" cy="${f(sy(p[1]))}" r="3.2" fill="${s.dashed ? '#fff' : s.color}" stroke="${s.color}" stroke-width="1.5" data-x="${p[0]}" data-y="${p[1]}">` +
          `<title>${escapeXml(`${s.name}: ${xFmt(p[0])}, ${yFmt(p[1])}`)}</title></circle>`,
      )
      .join('');
    body.push(
      `<g data-series="${escapeXml(s.name)}"><path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>${dots}</g>`,
    );
  }
  const lg = legend(
    series.map((s) => ({ name: s.name, color: s.color, dashed: s.dashed, kind: 'line' as const })),
    y1 + M_BOTTOM,
    width,
  );
  body.push(lg.svg);
  return frame(o.id, o.title, width, y1 + M_BOTTOM + lg.height, body.join(''));
}

/** A grouped bar chart: for each category, one bar per group, side by side. */
export function barChart(o: BarChartOptions): string {
  const width = o.width ?? 520;
  const yFmt = o.yFormat ?? formatNumber;
  const groups = o.groups.map((g, i) => ({ ...g, color: g.color ?? PALETTE[i % PALETTE.length] }));
  for (const g of groups) {
    if (g.values.length !== o.categories.length) {
      throw new RangeError(`barChart ${o.id}: group "${g.name}" has ${g.values.length} values for ${o.categories.length} categories`);
    }
  }
  const vals = groups.flatMap((g) => g.values.filter(Number.isFinite));
  const refs = (o.references ?? []).filter((r) => Number.isFinite(r.value));
  if (vals.length === 0 || o.categories.length === 0) return noData(o.id, o.title, width);
  const all = [...vals, ...refs.map((r) => r.value), 0];
  const yt = niceTicks(Math.min(...all), Math.max(...all), 5);
  const area = plotArea(width);
  const { x0, x1, y0, y1 } = area;
  const sy = (v: number) => y1 - ((v - yt[0]) / (yt[yt.length - 1] - yt[0] || 1)) * (y1 - y0);
  const band = (x1 - x0) / o.categories.length;
  const inner = band * 0.8,
    bw = inner / Math.max(1, groups.length);

  const xTicks = o.categories.map((c, i) => ({ pos: x0 + band * (i + 0.5), label: c }));
  const yTicks = yt.map((t) => ({ pos: sy(t), label: yFmt(t) }));
  const body: string[] = [axes(area, xTicks, yTicks, o.xLabel, o.yLabel)];
  groups.forEach((g, gi) => {
    const bars = o.categories
      .map((c, ci) => {
        const v = g.values[ci];
        if (!Number.isFinite(v)) return '';
        const x = x0 + band * ci + (band - inner) / 2 + gi * bw;
        const top = Math.min(sy(v), sy(0)),
          h = Math.abs(sy(v) - sy(0));
        return (
          `<rect x="${f(x)}" y="${f(top)}" width="${f(Math.max(1, bw - 1))}" height="${f(h)}" fill="${g.color}" data-series="${escapeXml(g.name)}" data-category="${escapeXml(c)}" data-value="${v}">` +
          `<title>${escapeXml(`${g.name}, ${c}: ${yFmt(v)}`)}</title></rect>`
        );
      })
      .join('');
    body.push(`<g data-series="${escapeXml(g.name)}">${bars}</g>`);
  });
  body.push(referenceLines(refs, sy, x0, x1, yFmt));
  const lg = legend(
    groups.map((g) => ({ name: g.name, color: g.color, kind: 'bar' as const })),
    y1 + M_BOTTOM,
    width,
  );
  body.push(lg.svg);
  return frame(o.id, o.title, width, y1 + M_BOTTOM + lg.height, body.join(''));
}
