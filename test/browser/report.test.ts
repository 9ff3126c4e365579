/**
 * Opens the rendered report in a real browser (headless Chromium from Debian, driven by
 * playwright-core) and checks what a reader would see: no errors, every chart present with data
 * drawn inside its viewBox, and the summary text. Skipped only when /usr/bin/chromium is missing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { renderReport } from '../../src/report/html.js';
import { summarize } from '../../src/report/summary.js';
import { sampleReport, sampleReportWithParts } from '../helpers/report-sample.js';
import { CHROMIUM, hasChromium, launchChromium } from '../helpers/chromium.js';

const haveChromium = hasChromium;
if (!haveChromium) console.warn(`browser/report.test: SKIPPED — ${CHROMIUM} not found (apt-get install -y chromium)`);

/** One chart as the browser laid it out. */
interface ChartInfo {
  id: string;
  viewBox: [number, number, number, number];
  rendered: { width: number; height: number };
  /** Every circle centre and bar corner, in viewBox units. */
  marks: { kind: string; coords: number[] }[];
  paths: number;
}

describe.skipIf(!haveChromium)('report in headless Chromium', () => {
  let browser: Browser;
  let page: Page;
  let dir: string;
  const errors: string[] = [];
  const report = sampleReport();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pk-report-'));
    const file = join(dir, 'report.html');
    writeFileSync(file, renderReport(report));
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.on('requestfailed', (req) => errors.push(`request failed: ${req.url()}`));
    page.on('request', (req) => {
      if (!req.url().startsWith('file:')) errors.push(`network request: ${req.url()}`);
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  });

  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('loads with no console errors, page errors or network requests', () => {
    expect(errors).toEqual([]);
  });

  it('every chart is drawn, with data marks at finite coordinates inside its viewBox', async () => {
    const infos: ChartInfo[] = await page.$$eval('svg[data-chart]', (svgs) =>
      svgs.map((svg) => {
        const vb = (svg.getAttribute('viewBox') ?? '').split(/\s+/).map(Number) as [number, number, number, number];
        const r = svg.getBoundingClientRect();
        const num = (el: Element, a: string) => Number(el.getAttribute(a));
        const marks = [
          ...[...svg.querySelectorAll('circle[data-x]')].map((c) => ({ kind: 'circle', coords: [num(c, 'cx'), num(c, 'cy')] })),
          ...[...svg.querySelectorAll('rect[data-value]')].map((b) => ({
            kind: 'bar',
            coords: [num(b, 'x'), num(b, 'y'), num(b, 'x') + num(b, 'width'), num(b, 'y') + num(b, 'height')],
          })),
        ];
        return {
          id: svg.getAttribute('data-chart') ?? '',
          viewBox: vb,
          rendered: { width: r.width, height: r.height },
          marks,
          paths: svg.querySelectorAll('[data-series] path').length,
        };
      }),
    );
    const ids = infos.map((i) => i.id);
    for (const id of [
      'accuracy',
      'generalisation',
      'bytes',
      'latency-1',
      'latency-64',
      'time',
      'grad-norms',
      'layer-sparsity',
      'dead-neurons',
      'training-loss',
      'training-accuracy',
    ]) {
      expect(ids, `chart ${id}`).toContain(id);
    }
    for (const c of infos) {
      const [vx, vy, vw, vh] = c.viewBox;
      expect([vx, vy, vw, vh].every(Number.isFinite), `${c.id} viewBox`).toBe(true);
      expect(c.rendered.width, `${c.id} is laid out`).toBeGreaterThan(200);
      expect(c.rendered.height, `${c.id} is laid out`).toBeGreaterThan(100);
      expect(c.marks.length, `${c.id} has data`).toBeGreaterThan(0);
      for (const m of c.marks) {
        for (let k = 0; k < m.coords.length; k += 2) {
          const [x, y] = [m.coords[k], m.coords[k + 1]];
          expect(Number.isFinite(x) && Number.isFinite(y), `${c.id} ${m.kind} finite`).toBe(true);
          expect(x >= vx && x <= vx + vw && y >= vy && y <= vy + vh, `${c.id} ${m.kind} (${x}, ${y}) inside viewBox`).toBe(true);
        }
      }
    }
    // line charts draw a line per series; bar charts do not
    expect(infos.find((i) => i.id === 'accuracy')!.paths).toBe(2);
  });

  it('shows the summary, headline first, as text a reader sees', async () => {
    const want = summarize(report);
    const headline = await page.textContent('#summary .headline');
    expect(headline).toBe(want[0]);
    expect(await page.isVisible('#summary')).toBe(true);
    const items = await page.$$eval('#summary li', (lis) => lis.map((li) => li.textContent));
    expect(items).toEqual(want.slice(1));
  });

  it("the bytes table's stacked bars fill their track: each segment a part's share of the file", async () => {
    const p = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const file = join(dir, 'parts.html');
    writeFileSync(file, renderReport(sampleReportWithParts()));
    await p.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    const bars = await p.$$eval('table[data-table="bytes"] .stack', (stacks) =>
      stacks.map((s) => ({ width: s.getBoundingClientRect().width, parts: [...s.children].map((c) => c.getBoundingClientRect().width) })),
    );
    await p.close();
    expect(bars).toHaveLength(sampleReportWithParts().points.length + 1);
    for (const b of bars) {
      expect(b.width).toBeGreaterThan(100);
      expect(b.parts.reduce((x, y) => x + y, 0)).toBeCloseTo(b.width, 0);
    }
  });

  it('takes a screenshot for a human to look at', async () => {
    const path = join(tmpdir(), 'prunekit-report.png');
    await page.screenshot({ path, fullPage: true });
    expect(existsSync(path)).toBe(true);
  });
});
