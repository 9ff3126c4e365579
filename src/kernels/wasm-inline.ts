/**
 * The kernel build embedded as base64, for browsers and any runtime without a file system or
 * `.wasm` imports. Only the SIMD build is embedded (every current browser runs it); other builds
 * ship as prunekit/wasm/kernels-<flavour>.wasm for callers who load them with `init(module)`.
 */
import type { WasmSource } from './instantiate.js';
import { SIMD_BASE64 } from './wasm-simd-base64.js';

function decodeBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

let simd: Uint8Array | null = null;

export const wasmInline: WasmSource = {
  flavors: ['simd'],
  bytes: (flavor) => (flavor === 'simd' ? (simd ??= decodeBase64(SIMD_BASE64)) : null),
};
