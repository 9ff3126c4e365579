/** A data module: the model file's bytes (wrangler's "Data" rule, workerd's `data` module). */
declare module '*.safetensors' {
  const bytes: ArrayBuffer;
  export default bytes;
}
