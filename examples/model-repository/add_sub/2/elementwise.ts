/** An element-wise operation on two FP32 arrays of the same shape. */
import type { NDArray } from 'ts-triton';

export function elementwise(a: NDArray, b: NDArray, op: (x: number, y: number) => number): Float32Array {
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  return x.map((v, i) => op(v, y[i]!));
}
