/**
 * The serving example plus one route for the load test: POST /__gc runs a full garbage collection
 * (workerd started with --expose-gc), so memory is compared after collection, not while garbage
 * from the last requests is still waiting. Not part of the example a user deploys.
 */
import worker from '../examples/worker/worker.js';

export default {
  async fetch(request: Request): Promise<Response> {
    if (new URL(request.url).pathname === '/__gc') {
      (globalThis as { gc?: () => void }).gc?.();
      return new Response('ok');
    }
    return worker.fetch(request);
  },
};
