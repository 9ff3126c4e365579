import { describe, expect, it } from 'vitest';
import { DataError, loadData, readCsvDataset, readCsvFeatures } from '../src/data/index.js';
import { tempDir } from './helpers/tmp.js';

const tmp = tempDir('csv');

async function errorOf(p: Promise<unknown>): Promise<DataError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return e as DataError;
  }
  throw new Error('expected a DataError, got success');
}

describe('CSV: structure', () => {
  it('reads a header, numeric features and string labels in sorted class order', async () => {
    const p = tmp.file('a,b,kind\n1,2,zebra\n3,4.5,ant\n-5,6e-1,zebra\n');
    const ds = await readCsvDataset(p);
    expect(ds.featureNames).toEqual(['a', 'b']);
    expect(ds.labelNames).toEqual(['ant', 'zebra']);
    expect(ds.nSamples).toBe(3);
    expect(ds.nFeatures).toBe(2);
    expect(Array.from(ds.features)).toEqual([1, 2, 3, 4.5, -5, Math.fround(0.6)]);
    expect(Array.from(ds.labels)).toEqual([1, 0, 1]);
    expect(ds.source).toBe(p);
  });

  it('without a header, the first row is data and features are named x0, x1, …', async () => {
    const ds = await readCsvDataset(tmp.file('1,2,a\n3,4,b\n'));
    expect(ds.nSamples).toBe(2);
    expect(ds.featureNames).toEqual(['x0', 'x1']);
    expect(Array.from(ds.features)).toEqual([1, 2, 3, 4]);
    expect(ds.labelNames).toEqual(['a', 'b']);
  });

  it('a header of numbers-only feature cells is data, even with a text label cell', async () => {
    // The rule: a header has a non-numeric cell in a feature column.
    const ds = await readCsvDataset(tmp.file('1,2,x\n3,4,y\n'));
    expect(ds.nSamples).toBe(2);
  });

  it('numeric labels are ordered numerically (2 before 10)', async () => {
    const ds = await readCsvDataset(tmp.file('f,y\n0.1,10\n0.2,2\n0.3,1\n0.4,2\n'));
    expect(ds.labelNames).toEqual(['1', '2', '10']);
    expect(Array.from(ds.labels)).toEqual([2, 1, 0, 1]);
  });

  it('label column by name, by index and by negative index', async () => {
    const p = tmp.file('f1,cls,f2\n1,a,2\n3,b,4\n5,a,6\n');
    for (const label of ['cls', 1, -2, '1', '-2']) {
      const ds = await readCsvDataset(p, { label });
      expect(ds.featureNames).toEqual(['f1', 'f2']);
      expect(Array.from(ds.features)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(Array.from(ds.labels)).toEqual([0, 1, 0]);
    }
    const first = await readCsvDataset(tmp.file('y,f1\nb,1\na,2\n'), { label: 0 });
    expect(first.featureNames).toEqual(['f1']);
    expect(first.labelNames).toEqual(['a', 'b']);
    expect(Array.from(first.labels)).toEqual([1, 0]);
  });

  it('quoted fields, CRLF line ends, a BOM, spaces and blank lines', async () => {
    const p = tmp.file('\uFEFF"len, cm", "wid"  ,label\r\n"1.5",2,"class, one"\r\n\r\n  \r\n3 , "4",two\r\n');
    const ds = await readCsvDataset(p);
    expect(ds.featureNames).toEqual(['len, cm', 'wid']);
    expect(Array.from(ds.features)).toEqual([1.5, 2, 3, 4]);
    expect(ds.labelNames).toEqual(['class, one', 'two']);
  });

  it('streams a 20,000-row file; values and labels match the generator', async () => {
    const rows = ['a,b,c,label'];
    let sum = 0;
    const counts = [0, 0, 0];
    for (let i = 0; i < 20_000; i++) {
      const v = [i % 97, (i * 7) % 13, i / 1000];
      for (const x of v) sum += Math.fround(x);
      counts[i % 3]++;
      rows.push(`${v.join(',')},c${i % 3}`);
    }
    const ds = await readCsvDataset(tmp.file(rows.join('\n') + '\n'));
    expect(ds.nSamples).toBe(20_000);
    expect(ds.features.length).toBe(60_000);
    let got = 0;
    for (const x of ds.features) got += x;
    expect(got).toBeCloseTo(sum, 3);
    expect(ds.features[3 * 12_345 + 2]).toBe(Math.fround(12.345));
    const gotCounts = [0, 0, 0];
    for (const l of ds.labels) gotCounts[l]++;
    expect(gotCounts).toEqual(counts);
    expect(ds.labelNames).toEqual(['c0', 'c1', 'c2']);
  });
});

describe('CSV: errors name the file, line and column', () => {
  it('ragged row (blank lines still count)', async () => {
    const p = tmp.file('a,b,c,d,label\n1,2,3,4,x\n\n5,6,7,8,y\n1,2,3,4,x\n\n1,2,3,y\n');
    const e = await errorOf(readCsvDataset(p));
    expect(e.message).toContain(p);
    expect(e.message).toContain('line 7 has 4 fields, expected 5');
  });

  it('line numbers count the lines inside quoted multi-line fields', async () => {
    const p = tmp.file('a,label\n1,"two\nline label"\n\n2,"three\r\nline\r\nlabel"\n3,x\n4\n');
    expect((await errorOf(readCsvDataset(p))).message).toBe(`${p}: line 9 has 1 fields, expected 2 (as on line 1)`);
    const q = tmp.file('a,label\n1,"two\nlines"\nzz,y\n');
    expect((await errorOf(readCsvDataset(q))).message).toBe(`${q}: line 4, column "a" (index 0): "zz" is not a number`);
  });

  it('non-numeric cell names the line and the column', async () => {
    const p = tmp.file('a,b,label\n1,2,x\n3,abc,y\n');
    const e = await errorOf(readCsvDataset(p));
    expect(e.message).toBe(`${p}: line 3, column "b" (index 1): "abc" is not a number`);
    const noHeader = tmp.file('1,2,x\n3,4,y\n5,6,z\n7,0x1f,x\n');
    expect((await errorOf(readCsvDataset(noHeader))).message).toBe(`${noHeader}: line 4, column index 1: "0x1f" is not a number`);
    const empty = tmp.file('a,b,label\n1,,x\n3,4,y\n');
    expect((await errorOf(readCsvDataset(empty))).message).toContain('line 2, column "b" (index 1): empty cell, expected a number');
  });

  it('empty file, blank-only file, header only', async () => {
    for (const content of ['', '\n\n  \n']) {
      const p = tmp.file(content);
      expect((await errorOf(readCsvDataset(p))).message).toBe(`${p}: file is empty (expected a header or data rows)`);
    }
    const h = tmp.file('a,b,label\n');
    expect((await errorOf(readCsvDataset(h))).message).toContain('no data rows after the header on line 1');
  });

  it('missing file', async () => {
    const p = `${tmp.dir}/nope.csv`;
    expect((await errorOf(readCsvDataset(p))).message).toBe(`${p}: no such CSV file`);
  });

  it('label column that does not exist, by name and by index', async () => {
    const p = tmp.file('a,b,label\n1,2,x\n3,4,y\n');
    expect((await errorOf(readCsvDataset(p, { label: 'species' }))).message).toBe(
      `${p}: label column "species" not found in the header (columns: a, b, label)`,
    );
    expect((await errorOf(readCsvDataset(p, { label: 3 }))).message).toContain('label column index 3 does not exist: the file has 3 columns');
    expect((await errorOf(readCsvDataset(p, { label: -4 }))).message).toContain('label column index -4 does not exist');
    const noHeader = tmp.file('1,2,x\n3,4,y\n');
    expect((await errorOf(readCsvDataset(noHeader, { label: 'species' }))).message).toContain('the file has no header row');
  });

  it('a single class', async () => {
    const p = tmp.file('a,label\n1,x\n2,x\n');
    expect((await errorOf(readCsvDataset(p))).message).toBe(
      `${p}: the label column "label" (index 1) has a single class ("x"); classification needs at least two`,
    );
  });

  it('NaN and Inf values (also float32 overflow)', async () => {
    for (const bad of ['NaN', 'nan', 'Inf', '-inf', 'Infinity', '1e39']) {
      const p = tmp.file(`a,b,label\n1,2,x\n3,${bad},y\n`);
      expect((await errorOf(readCsvDataset(p))).message).toBe(
        `${p}: line 3, column "b" (index 1): NaN/Inf value "${bad}" (every feature must be a finite number)`,
      );
    }
  });

  it('an empty label cell', async () => {
    const p = tmp.file('a,label\n1,x\n2,\n');
    expect((await errorOf(readCsvDataset(p))).message).toContain('line 3, column "label" (index 1): empty label');
  });

  it('a CSV syntax error (unclosed quote) becomes a DataError', async () => {
    const p = tmp.file('a,label\n1,x\n2,"y\n');
    const e = await errorOf(readCsvDataset(p));
    expect(e.message).toContain(p);
    expect(e.message).toBe(`${p}: line 3: CSV syntax error: Quote Not Closed: the parsing is finished with an opening quote at line 3`);
  });
});

describe('readCsvFeatures (prediction input)', () => {
  it('picks the model features by header name, in model order, ignoring the label column', async () => {
    const p = tmp.file('species,b,a\nx,2,1\ny,4,3\n');
    const f = await readCsvFeatures(p, { featureNames: ['a', 'b'], expectFeatures: 2 });
    expect(Array.from(f.features)).toEqual([1, 2, 3, 4]);
    expect(f.featureNames).toEqual(['a', 'b']);
    expect(f.ignoredColumns).toEqual(['species']);
  });

  it('without a header, columns are positional and their count must match', async () => {
    const p = tmp.file('1,2\n3,4\n5,6\n');
    const f = await readCsvFeatures(p, { expectFeatures: 2 });
    expect(f.nSamples).toBe(3);
    expect(Array.from(f.features)).toEqual([1, 2, 3, 4, 5, 6]);
    const e = await errorOf(readCsvFeatures(p, { expectFeatures: 3 }));
    expect(e.message).toBe(`${p}: line 1 has 2 feature columns, the model expects 3`);
  });

  it('drops a named label column; reports missing feature names', async () => {
    const p = tmp.file('u,v,label\n1,2,a\n');
    const f = await readCsvFeatures(p, { labelColumn: 'label', expectFeatures: 2 });
    expect(Array.from(f.features)).toEqual([1, 2]);
    const e = await errorOf(readCsvFeatures(p, { featureNames: ['u', 'w'], expectFeatures: 2 }));
    expect(e.message).toContain('header lacks "w"');
  });

  it('bad cells are errors with line and column', async () => {
    const p = tmp.file('1,2\n3,NaN\n');
    expect((await errorOf(readCsvFeatures(p))).message).toContain('line 2, column index 1: NaN/Inf value "NaN"');
  });
});

describe('loadData on a CSV file', () => {
  it('passes the label option and standardises on train', async () => {
    const rows = ['y,a,b'];
    for (let i = 0; i < 40; i++) rows.push(`${i % 2 ? 'odd' : 'even'},${i},${i * i}`);
    const ds = await loadData(tmp.file(rows.join('\n')), { label: 'y', seed: 3 });
    expect(ds.train.nSamples).toBe(32);
    expect(ds.test.nSamples).toBe(8);
    expect(ds.train.featureNames).toEqual(['a', 'b']);
    expect(ds.mean).not.toBeNull();
    const raw = await loadData(tmp.file(rows.join('\n')), { label: 0, seed: 3, standardize: false });
    expect(raw.mean).toBeNull();
    // standardised = (raw - mean) / scale, with the same split for the same seed
    for (let i = 0; i < ds.test.features.length; i++) {
      const j = i % 2;
      expect(ds.test.features[i]).toBeCloseTo((raw.test.features[i] - ds.mean![j]) / ds.scale![j], 5);
    }
  });

  it('an unknown spec lists what is accepted', async () => {
    const e = await errorOf(loadData(`${tmp.dir}/missing-thing`));
    expect(e.message).toContain('no such dataset: expected iris, mnist, fashion-mnist[:DIR], a CSV file, or IDX files');
    const c = await errorOf(loadData(`${tmp.dir}/missing.csv`));
    expect(c.message).toContain('no such CSV file');
  });
});
