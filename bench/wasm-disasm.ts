/**
 * The x64 machine code V8 (TurboFan) makes of one kernel function, for reading a hot loop:
 *
 *   npx tsx bench/wasm-disasm.ts [WASM] [--function 'spmv<u16>'] [--wat build/kernels-simd.wat]
 *
 * Release builds of Node have no `--print-wasm-code`; `--perf-prof` instead writes a jitdump file
 * (perf's format: one record per compiled function, with its code bytes). A child Node compiles
 * the module eagerly with TurboFan only (`--no-wasm-lazy-compilation --no-liftoff`) in a temporary
 * directory; this script finds the record `wasm-function[N]-N-turbofan`, N being the function's
 * index in the text form the build writes beside each .wasm (build/kernels-<flavour>.wat, whose
 * functions carry names), and disassembles it with binutils' objdump. Linux x64 only; needs objdump.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values: a, positionals } = parseArgs({
  allowPositionals: true,
  options: { function: { type: 'string', default: 'spmv<u16>' }, wat: { type: 'string', default: 'build/kernels-simd.wat' } },
});
const wasm = resolve(positionals[0] ?? 'wasm/kernels-simd.wasm');

// Function indices in the text form: the module imports no functions, so the n-th `(func` is index n.
const funcs = [...readFileSync(a.wat!, 'utf8').matchAll(/^ \(func \$(\S+)/gm)].map((m) => m[1]);
const index = funcs.findIndex((name) => name.endsWith(a.function!));
if (index < 0) throw new Error(`${a.wat}: no function whose name ends with ${a.function} (try one of: ${funcs.join(', ')})`);

const dir = mkdtempSync(join(tmpdir(), 'wasm-disasm-'));
try {
  const child = `const m = new WebAssembly.Module(require('fs').readFileSync(${JSON.stringify(wasm)}));
new WebAssembly.Instance(m, { env: { memory: new WebAssembly.Memory({ initial: 2 }) } });`;
  execFileSync(process.execPath, ['--perf-prof', '--no-wasm-lazy-compilation', '--no-liftoff', '-e', child], { cwd: dir });
  const dump = readdirSync(dir).find((f) => f.startsWith('jit-') && f.endsWith('.dump'));
  if (!dump) throw new Error('no jitdump written: this Node was built without --perf-prof support');
  const b = readFileSync(join(dir, dump));
  const want = `wasm-function[${index}]-${index}-turbofan`;
  // jitdump: a header whose size is at byte 8, then records {id u32, size u32, timestamp u64, …};
  // a code load (id 0) holds pid, tid, vma, code address, code size, code index, name\0, code.
  let code: Buffer | undefined;
  for (let off = b.readUInt32LE(8); off + 16 <= b.length; ) {
    const id = b.readUInt32LE(off),
      size = b.readUInt32LE(off + 4);
    if (id === 0) {
      const codeSize = Number(b.readBigUInt64LE(off + 40));
      const nameEnd = b.indexOf(0, off + 56);
      if (b.toString('utf8', off + 56, nameEnd).endsWith(want)) code = b.subarray(nameEnd + 1, nameEnd + 1 + codeSize);
    }
    if (size === 0) break;
    off += size;
  }
  if (!code) throw new Error(`${dump}: no record for ${want}`);
  writeFileSync(join(dir, 'f.bin'), code);
  console.log(`${funcs[index]} (function ${index}), ${code.length} bytes of x64:`);
  console.log(
    execFileSync('objdump', ['-D', '-b', 'binary', '-mi386:x86-64', join(dir, 'f.bin')], { encoding: 'utf8' })
      .split('\n')
      .slice(7)
      .join('\n'),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
