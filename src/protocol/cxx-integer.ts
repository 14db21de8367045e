/**
 * Reading integers the way Triton's C++ option parsing does (`std::stoi`).
 *
 * @module
 */

/** The outcome of reading an integer the way C++ `std::stoi` / `std::stoul` do. */
export type CxxIntegerResult =
  { readonly ok: true; readonly value: number } | { readonly ok: false; readonly problem: 'invalid' | 'out-of-range' };

/**
 * Reads a base-10 integer with the leniency of C++ `std::stoi`: leading C whitespace and one
 * `+`/`-` are accepted, the digits that follow are read, and anything after them is ignored
 * (`"12abc"` reads as 12, `" -3"` as -3, `"0x10"` as 0). No digits at all is `invalid`; a value
 * outside `[min, max]` is `out-of-range`.
 *
 * For unsigned ranges this is stricter than `std::stoul`, which would wrap a negative value or a
 * value above 2^32 - 1 into range: both are reported `out-of-range` here (`"-0"` is 0).
 *
 * @param text - the text to read.
 * @param range - inclusive bounds.
 */
export function readCxxInteger(text: string, range: { readonly min: bigint; readonly max: bigint }): CxxIntegerResult {
  const match = /^[ \t\n\v\f\r]*([+-]?[0-9]+)/.exec(text);
  if (match === null || match[1] === undefined) return { ok: false, problem: 'invalid' };
  const value = BigInt(match[1]);
  if (value < range.min || value > range.max) return { ok: false, problem: 'out-of-range' };
  return { ok: true, value: Number(value) };
}
