import type { ClassMetrics } from '../schemas/model.js';

/** counts[t][p]: test images of true class t the model predicted as p. */
export function confusionMatrix(truth: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): number[][] {
  const counts = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < truth.length; i++) counts[truth[i]!]![predicted[i]!]!++;
  return counts;
}

/**
 * Precision and recall of each class from a confusion matrix. A class never predicted (or never
 * present) has no defined ratio; it is reported as 0 so the figures stay plain numbers.
 */
export function perClassMetrics(matrix: number[][], labels: readonly string[]): ClassMetrics[] {
  return matrix.map((row, k) => {
    const support = row.reduce((s, v) => s + v, 0);
    const predictedAs = matrix.reduce((s, r) => s + r[k]!, 0);
    const hits = row[k]!;
    return {
      label: labels[k] ?? String(k),
      precision: predictedAs === 0 ? 0 : hits / predictedAs,
      recall: support === 0 ? 0 : hits / support,
      support,
    };
  });
}
