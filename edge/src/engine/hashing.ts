/** Deterministic bucketing that assigns visitors exactly as GrowthBook's SDKs do. */

import type { Range } from "./types.js";

// A weight vector whose sum strays further from 1 than this is replaced by equal weights.
const WEIGHT_SUM_MIN = 0.99;
const WEIGHT_SUM_MAX = 1.01;

/** The 32-bit FNV-1a hash of a string's UTF-16 code units. */
export function fnv1a32(text: string): number {
  let value = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    value = Math.imul(value ^ text.charCodeAt(index), 0x01000193);
  }
  return value >>> 0;
}

/** Map a seed and a hash value to [0, 1), or null for a hash version GrowthBook doesn't know. */
export function hashUnit(seed: string, value: string, version: number): number | null {
  if (version === 2) return (fnv1a32(String(fnv1a32(seed + value))) % 10000) / 10000;
  if (version === 1) return (fnv1a32(value + seed) % 1000) / 1000;
  return null;
}

/** Whether n falls in the half-open bucket [start, end). */
export function inRange(n: number, range: Range): boolean {
  return range[0] <= n && n < range[1];
}

/** The index of the first range that holds n, or -1 when n is in none of them. */
export function chooseVariation(n: number, ranges: readonly Range[]): number {
  for (let index = 0; index < ranges.length; index++) {
    if (inRange(n, ranges[index] as Range)) return index;
  }
  return -1;
}

/** Split [0, 1) among n variations by weight, each range covering only `coverage` of its share.
 *
 * Coverage is clamped to [0, 1]. Weights fall back to equal shares unless they are an array of n
 * finite, non-negative numbers summing to 1 (within 0.01), as in the Python engine and
 * growthbook's Python `getBucketRanges` (the JavaScript SDK only checks length and sum). */
export function bucketRanges(
  n: number,
  coverage: number,
  weights: readonly number[] | null,
): Range[] {
  const clamped = coverage < 0 ? 0 : coverage > 1 ? 1 : coverage;
  const chosen = weights !== null && validWeights(weights, n) ? weights : equalWeights(n);
  const ranges: Range[] = [];
  let cumulative = 0;
  for (const weight of chosen) {
    const start = cumulative;
    cumulative += weight;
    ranges.push([start, start + clamped * weight]);
  }
  return ranges;
}

function equalWeights(n: number): number[] {
  return n >= 1 ? new Array<number>(n).fill(1 / n) : [];
}

function validWeights(weights: readonly number[], n: number): boolean {
  if (!Array.isArray(weights) || weights.length !== n) return false;
  for (const weight of weights) {
    if (typeof weight !== "number" || !Number.isFinite(weight) || weight < 0) return false;
  }
  const total = pythonSum(weights);
  return WEIGHT_SUM_MIN <= total && total <= WEIGHT_SUM_MAX;
}

/** Python's sum() of floats (3.12 and later): Neumaier's compensated summation, so that borderline
 * sums such as ten weights of 0.1 agree with the Python engine to the last bit. */
function pythonSum(values: readonly number[]): number {
  let total = 0;
  let compensation = 0;
  for (const value of values) {
    const next = total + value;
    compensation +=
      Math.abs(total) >= Math.abs(value) ? total - next + value : value - next + total;
    total = next;
  }
  return compensation !== 0 && Number.isFinite(compensation) ? total + compensation : total;
}
