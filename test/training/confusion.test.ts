import { describe, expect, it } from 'vitest';
import { confusionMatrix, perClassMetrics } from '../../src/training/confusion.js';

describe('confusion matrix', () => {
  it('counts true class by row and predicted class by column', () => {
    const m = confusionMatrix([0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 0, 2], 3);
    expect(m).toEqual([
      [1, 1, 0],
      [0, 2, 0],
      [1, 0, 1],
    ]);
  });

  it('gives precision by column, recall by row, and 0 where a class is never predicted or present', () => {
    const m = [
      [2, 2, 0],
      [0, 4, 0],
      [0, 0, 0],
    ];
    expect(perClassMetrics(m, ['a', 'b', 'c'])).toEqual([
      { label: 'a', precision: 1, recall: 0.5, support: 4 },
      { label: 'b', precision: 4 / 6, recall: 1, support: 4 },
      { label: 'c', precision: 0, recall: 0, support: 0 },
    ]);
  });
});
