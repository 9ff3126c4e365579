/**
 * Bit streams for format_version 2 (FORMAT.md): bits fill each byte from its least significant bit
 * up (as in DEFLATE), a w-bit field is written least significant bit first, and the last byte is
 * padded with zero bits. A packed stream of n fields of w bits is exactly ⌈n·w/8⌉ bytes.
 */
import { FormatError } from '../../util/safetensors.js';

export class BitWriter {
  private readonly bytes: number[] = [];
  private acc = 0;
  private used = 0;

  /** Appends the low `width` bits of `value`, least significant first. */
  write(value: number, width: number): void {
    for (let b = 0; b < width; b++) this.bit((value >>> b) & 1);
  }

  bit(v: number): void {
    this.acc |= v << this.used;
    if (++this.used === 8) {
      this.bytes.push(this.acc);
      this.acc = 0;
      this.used = 0;
    }
  }

  finish(): Uint8Array {
    if (this.used) {
      this.bytes.push(this.acc);
      this.acc = 0;
      this.used = 0;
    }
    return Uint8Array.from(this.bytes);
  }
}

export class BitReader {
  /** Position in bits from the start of the stream. */
  pos = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly name: string,
  ) {}

  get bitsLeft(): number {
    return this.bytes.length * 8 - this.pos;
  }

  bit(): number {
    if (this.pos >= this.bytes.length * 8) throw new FormatError(`model file: ${this.name} ends early (after ${this.bytes.length} bytes)`);
    const v = (this.bytes[this.pos >>> 3] >>> (this.pos & 7)) & 1;
    this.pos++;
    return v;
  }

  read(width: number): number {
    let v = 0;
    for (let b = 0; b < width; b++) v |= this.bit() << b;
    return v;
  }

  /** The stream must end here: fewer than 8 bits left, all zero (the padding the writer adds). */
  expectEnd(): void {
    const left = this.bitsLeft;
    if (left >= 8) throw new FormatError(`model file: ${this.name} has ${Math.floor(left / 8)} trailing bytes after its last symbol`);
    if (left > 0 && this.bytes[this.bytes.length - 1] >>> (8 - left) !== 0)
      throw new FormatError(`model file: ${this.name}: the padding bits of its last byte are not zero`);
  }
}

/** Fields of `width` bits (1…8), packed. */
export function packBits(values: ArrayLike<number>, width: number): Uint8Array {
  const w = new BitWriter();
  for (let i = 0; i < values.length; i++) w.write(values[i], width);
  return w.finish();
}

/** The bytes a packed stream of `count` fields of `width` bits takes. */
export const packedBytes = (count: number, width: number) => Math.ceil((count * width) / 8);

/**
 * Unpacks `count` fields of `width` bits; the stream must be exactly ⌈count·width/8⌉ bytes with zero
 * padding (checked before allocating, so `count` is bounded by the stream's size).
 */
export function unpackBits(bytes: Uint8Array, width: number, count: number, name: string): Uint8Array {
  if (bytes.length !== packedBytes(count, width)) {
    throw new FormatError(`model file: ${name} is ${bytes.length} bytes, expected ${packedBytes(count, width)} for ${count} fields of ${width} bits`);
  }
  const out = new Uint8Array(count);
  const mask = (1 << width) - 1;
  let acc = 0,
    have = 0,
    k = 0;
  for (let i = 0; i < count; i++) {
    while (have < width) {
      acc |= bytes[k++] << have;
      have += 8;
    }
    out[i] = acc & mask;
    acc >>>= width;
    have -= width;
  }
  const r = new BitReader(bytes, name);
  r.pos = count * width;
  r.expectEnd();
  return out;
}
