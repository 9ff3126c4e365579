/** An append-only typed array that doubles when full (amortised O(1) push). */
class Growable<T extends Float32Array | Int32Array> {
  private a: T;
  private n = 0;
  constructor(
    private readonly make: (length: number) => T,
    capacity: number,
  ) {
    this.a = make(Math.max(16, capacity));
  }
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = this.make(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
  view(): T {
    return this.a.subarray(0, this.n) as T;
  }
}

export class GrowableF32 extends Growable<Float32Array> {
  constructor(capacity: number) {
    super((n) => new Float32Array(n), capacity);
  }
}

export class GrowableI32 extends Growable<Int32Array> {
  constructor(capacity: number) {
    super((n) => new Int32Array(n), capacity);
  }
}
