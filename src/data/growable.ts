/** Append-only typed arrays that double when full (amortised O(1) push). */
export class GrowableF32 {
  private a: Float32Array;
  private n = 0;
  constructor(capacity: number) {
    this.a = new Float32Array(Math.max(16, capacity));
  }
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Float32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
  view(): Float32Array {
    return this.a.subarray(0, this.n);
  }
}

export class GrowableI32 {
  private a: Int32Array;
  private n = 0;
  constructor(capacity: number) {
    this.a = new Int32Array(Math.max(16, capacity));
  }
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Int32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
  view(): Int32Array {
    return this.a.subarray(0, this.n);
  }
}
