/**
 * The valid name closest to a mistyped one, for warnings that say what was probably meant.
 *
 * @module
 */

/** Edit distance (insertions, deletions, substitutions) between two strings, case-insensitive. */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[y.length]!;
}

/** The candidate closest to `name` (the first of equally close ones). */
export function closestName(name: string, candidates: readonly string[]): string {
  let best = candidates[0]!;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = distance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** `unknown <what> '<name>' is ignored (as Triton does); did you mean '<closest>'? Valid: a, b, c`. */
export function unknownNameWarning(what: string, name: string, valid: readonly string[]): string {
  return `unknown ${what} '${name}' is ignored (as Triton does); did you mean '${closestName(name, valid)}'? Valid: ${valid.join(', ')}`;
}
