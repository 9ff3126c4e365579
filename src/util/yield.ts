/**
 * Cooperative yielding for long synchronous loops (training, pruning): between batches, hand the
 * event loop a turn every `sliceMs` milliseconds so timers, I/O and progress output run, and stop
 * promptly when the caller's AbortSignal fires. A microtask (`await Promise.resolve()`) is not
 * enough: timers only run once the current macrotask ends.
 */

/** Resolves on the next macrotask: setImmediate where it exists (Node, Bun, Deno), else a MessageChannel. */
function nextMacrotask(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => unknown };
  if (g.setImmediate) return new Promise((ok) => g.setImmediate!(ok));
  return new Promise((ok) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      ok();
    };
    ch.port2.postMessage(null);
  });
}

/** A `yield` to await between batches: cheap when called often (it yields at most once per slice). */
export function createYielder(signal?: AbortSignal, sliceMs = 5): () => Promise<void> | void {
  let last = performance.now();
  return () => {
    signal?.throwIfAborted();
    if (performance.now() - last < sliceMs) return;
    return nextMacrotask().then(() => {
      last = performance.now();
      signal?.throwIfAborted();
    });
  };
}
