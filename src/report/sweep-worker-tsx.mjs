// The pooled sweep's worker in a source checkout (the tests run src/ without a build): loads
// sweep-worker.ts through tsx, which a worker thread does not inherit from `--import tsx`.
import { tsImport } from 'tsx/esm/api';

const worker = await tsImport('./sweep-worker.ts', import.meta.url);
export default worker.default;
