/**
 * The kernel builds as files, for runtimes with a file system (Node, Deno, Bun): the package
 * ships wasm/kernels-<flavour>.wasm, two folders above this file both in src/ and in dist/.
 * A build is read only when asked for, so a process reads one or two small files, never all three.
 */
import { readFileSync } from 'node:fs';
import { WASM_PREFERENCE, type WasmFlavor, type WasmSource } from './instantiate.js';

/** The file of one build, as a URL. */
export function wasmFileUrl(flavor: WasmFlavor): URL {
  return new URL(`../../wasm/kernels-${flavor}.wasm`, import.meta.url);
}

const read = new Map<WasmFlavor, Uint8Array>();

export const wasmFiles: WasmSource = {
  flavors: WASM_PREFERENCE,
  bytes(flavor) {
    let b = read.get(flavor);
    if (!b) {
      try {
        b = new Uint8Array(readFileSync(wasmFileUrl(flavor)));
      } catch (e) {
        throw new Error(
          `kernels: cannot read ${wasmFileUrl(flavor).pathname} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); in a checkout, run npm run build:wasm`,
        );
      }
      read.set(flavor, b);
    }
    return b;
  },
};
