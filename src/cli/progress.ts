/**
 * Progress for long work: a redrawn bar on a TTY, a quiet line every few seconds otherwise
 * (CI logs stay short). Written to stderr so `--json` on stdout stays machine-readable.
 * The total may change on the way (a sweep learns its real epoch count when early stopping ends
 * training) and may be unknown (0: the count alone is shown). `done` draws the count reached —
 * the real one, e.g. 12/20 epochs when early stopping ended a run of 20 — then ends the line.
 */
export interface Progress {
  update(done: number, note?: string, total?: number): void;
  done(note?: string, count?: number): void;
}

export function progress(label: string, total: number, opts: { quiet?: boolean } = {}): Progress {
  const tty = process.stderr.isTTY && !opts.quiet;
  const start = Date.now();
  let lastLine = 0;
  const line = (done: number, note = '') => {
    const secs = ((Date.now() - start) / 1000).toFixed(1);
    const count = total > 0 ? `${done}/${total}` : `${done}`;
    if (tty) {
      const width = 24,
        filled = Math.round((total > 0 ? Math.min(1, done / total) : 0) * width);
      const bar = total > 0 ? ` [${'#'.repeat(filled)}${'.'.repeat(width - filled)}]` : '';
      process.stderr.write(`\r${label}${bar} ${count} ${secs}s ${note}\x1b[K`);
    } else {
      process.stderr.write(`${label}: ${count} (${secs}s) ${note}\n`);
    }
  };
  return {
    update(done, note, newTotal) {
      if (opts.quiet) return;
      if (newTotal !== undefined) total = newTotal;
      const now = Date.now();
      if (tty ? now - lastLine >= 100 : now - lastLine >= 5000) {
        lastLine = now;
        line(done, note);
      }
    },
    done(note, count = total) {
      if (opts.quiet) return;
      line(count, note);
      if (tty) process.stderr.write('\n');
    },
  };
}
