import assert from 'node:assert/strict';
import { test } from 'node:test';
import { float32ToJson } from '../../src/protocol/json-data.ts';

/** Significant digits of a decimal text. */
function significantDigits(text: string): number {
  const mantissa = text.replace(/^-/, '').split('e')[0]!.replace('.', '');
  return mantissa.replace(/^0+/, '').length;
}

/**
 * What float32ToJson must produce: an integer exactly; otherwise the fewest significant digits that read back as
 * `value`, in String()'s format.
 */
function expected(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e21) return String(value);
  for (let p = 1; p <= 9; p++) {
    const text = value.toPrecision(p);
    if (Math.fround(Number(text)) === value) return String(Number(text));
  }
  throw new Error(`no precision reads back ${value}`);
}

const f32 = new Float32Array(1);
const bits = new Uint32Array(f32.buffer);

function fromBits(b: number): number {
  bits[0] = b;
  return f32[0]!;
}

test('float32ToJson writes the shortest text that reads back, for random bit patterns', () => {
  let seed = 12345;
  const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  for (let i = 0; i < 200_000; i++) {
    const value = fromBits(next());
    if (!Number.isFinite(value)) continue;
    const text = float32ToJson(value);
    assert.equal(Math.fround(Number(text)), value, `${text} reads back as ${value}`);
    assert.equal(text, expected(value));
  }
});

test('float32ToJson at the edges: powers of ten, rounding carries, sub-normals, the largest float, signs', () => {
  const values = [
    fromBits(1), // the smallest sub-normal
    fromBits(0x00800000), // the smallest normal
    fromBits(0x7f7fffff), // the largest finite
    Math.fround(0.1),
    Math.fround(-0.1),
    Math.fround(9.9999999),
    Math.fround(0.99999999),
    Math.fround(1e-7),
    Math.fround(1.5e-7),
    Math.fround(123456.7),
    Math.fround(1e21),
    Math.fround(3.4e38),
    Math.fround(1e-38),
    -0,
  ];
  for (let e = -45; e <= 38; e++) for (const m of [1, 2.5, 9.5, 9.999999]) values.push(Math.fround(m * 10 ** e));
  for (const value of values.filter(Number.isFinite)) {
    const text = float32ToJson(value);
    assert.equal(text, expected(value), `${value}`);
    if (!Number.isInteger(value)) assert.ok(significantDigits(text) <= 9, text);
  }
  assert.equal(float32ToJson(Number.NaN), 'null');
  assert.equal(float32ToJson(Number.POSITIVE_INFINITY), 'null');
  assert.equal(float32ToJson(Math.fround(0.1)), '0.1');
  assert.equal(float32ToJson(Math.fround(1.5e-7)), '1.5e-7');
});
