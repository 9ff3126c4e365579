/**
 * Progress for long work: a redrawn bar on a TTY, a quiet line every few seconds otherwise
 * (CI logs stay short). Written to stderr so `--json` on stdout stays machine-readable.
 */
export interface Progress {
  update(done: number, note?: string): void;
  done(note?: string): void;
}

export function progress(label: string, total: number, opts: { quiet?: boolean } = {}): Progress {
  const tty = process.stderr.isTTY && !opts.quiet;
  const start = Date.now();
  let lastLine = 0;
  const line = (done: number, note = '') => {
    const frac = total > 0 ? Math.min(1, done / total) : 1;
    const secs = ((Date.now() - start) / 1000).toFixed(1);
    if (tty) {
      const width = 24,
        filled = Math.round(frac * width);
      process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${secs}s ${note}\x1b[K`);
    } else {
      process.stderr.write(`${label}: ${done}/${total} (${secs}s) ${note}\n`);
    }
  };
  return {
    update(done, note) {
      if (opts.quiet) return;
      const now = Date.now();
      if (tty ? now - lastLine >= 100 : now - lastLine >= 5000) {
        lastLine = now;
        line(done, note);
      }
    },
    done(note) {
      if (opts.quiet) return;
      line(total, note);
      if (tty) process.stderr.write('\n');
    },
  };
}
