/** Explicit inverse of a d × d matrix by Gauss–Jordan elimination with partial pivoting, float64: the tests' reference. */
export function invert(A: number[][]): number[][] {
  const d = A.length;
  const M = A.map((row, i) => [...row, ...Array.from({ length: d }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < d; c++) {
    let p = c;
    for (let r = c + 1; r < d; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    const piv = M[c][c];
    for (let j = 0; j < 2 * d; j++) M[c][j] /= piv;
    for (let r = 0; r < d; r++) {
      if (r === c) continue;
      const f = M[r][c];
      for (let j = 0; j < 2 * d; j++) M[r][j] -= f * M[c][j];
    }
  }
  return M.map((row) => row.slice(d));
}
