// Runs the example Worker locally under workerd (npm `workerd`), bundled as wrangler bundles it:
//
//   npm run build && node examples/worker/run-local.mjs [MODEL.safetensors] [--port 8787]
//   curl -s -X POST 127.0.0.1:8787/predict -d '{"rows": [[5.1, 3.5, 1.4, 0.2]]}'
//
// MODEL defaults to the 90% LeNet-300-100 of bench/fixtures (784 inputs). Stops on Ctrl-C.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorker, startWorkerd, tcpReady, workerdConfig } from '../../scripts/workerd.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const args = process.argv.slice(2);
const portAt = args.indexOf('--port');
const port = portAt >= 0 ? Number(args[portAt + 1]) : 8787;
const model = args.find((a, i) => !a.startsWith('--') && i !== portAt + 1) ?? join(here, '..', '..', 'bench', 'fixtures', 'lenet-90.prunekit.safetensors');

const dir = mkdtempSync(join(tmpdir(), 'prunekit-worker-'));
const { modules } = await bundleWorker({ entry: join(here, 'worker.ts'), outDir: dir, model });
const server = await startWorkerd({ config: workerdConfig({ dir, modules, port }), port, waitFor: () => tcpReady(port) });
console.log(`serving ${model} at ${server.url}/predict (Ctrl-C stops)`);
server.child.stdout.pipe(process.stdout);
server.child.stderr.pipe(process.stderr);
const stop = async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
