/** A `.wasm` import in Workers (workerd, wrangler, esbuild with a wasm-module rule) is a compiled module. */
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
