/**
 * The kernel flavours, best first: the three WebAssembly builds of assembly/ (each one target of
 * asconfig.json, same name, built by scripts/build-wasm.mjs) and the plain-TypeScript reference.
 * The loader's preference order, the CLI's --kernels choices, the tests and the benchmarks all
 * read this table; a new build is one asconfig.json target plus one line here.
 */
export interface FlavorInfo {
  /** A WebAssembly build (else the TypeScript reference). */
  readonly wasm: boolean;
  /** f32 lanes per multiply-add (for the machine-peak estimate). */
  readonly lanes: 1 | 4;
  /** One line for help text. */
  readonly describe: string;
}

export const KERNEL_FLAVORS = {
  'relaxed-simd': { wasm: true, lanes: 4, describe: 'f32x4 SIMD with fused multiply-add (Node 22+, current browsers)' },
  simd: { wasm: true, lanes: 4, describe: 'f32x4 SIMD (every current engine)' },
  scalar: { wasm: true, lanes: 1, describe: 'no SIMD (engines without it)' },
  reference: { wasm: false, lanes: 1, describe: "plain TypeScript, the tests' reference (slow)" },
} as const satisfies Record<string, FlavorInfo>;

/** Which implementation is behind a `Kernels` object. */
export type KernelFlavor = keyof typeof KERNEL_FLAVORS;

/** The flavours that are WebAssembly builds. */
export type WasmFlavor = { [F in KernelFlavor]: (typeof KERNEL_FLAVORS)[F]['wasm'] extends true ? F : never }[KernelFlavor];

export const KERNEL_FLAVOR_NAMES = Object.keys(KERNEL_FLAVORS) as KernelFlavor[];

/** The WebAssembly builds, best first (the loader picks the first the engine validates). */
export const WASM_FLAVORS = KERNEL_FLAVOR_NAMES.filter((f): f is WasmFlavor => KERNEL_FLAVORS[f].wasm);
