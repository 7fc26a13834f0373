import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Progress } from './types.js';

const TRAIN = '#1d4ed8';
const VALIDATION = '#c2410c';
const HEIGHT = 220;

export interface EpochChart {
  /** Redraws from a job's history; `epochs` fixes the x axis so the curve grows across it. */
  update(progress: Progress): void;
  destroy(): void;
}

/** A per-epoch line chart of one training metric and its validation twin, sized to its container. */
export function epochChart(
  target: HTMLElement,
  metric: 'loss' | 'accuracy',
  format: (v: number) => string,
): EpochChart {
  let epochs = 1;
  const width = () => Math.max(240, target.clientWidth);
  const opts: uPlot.Options = {
    width: width(),
    height: HEIGHT,
    // Series names only: the epoch table below gives the values.
    legend: { live: false },
    scales: {
      // One epoch still gets an x range to sit in.
      x: { time: false, range: () => (epochs > 1 ? [1, epochs] : [0.5, 1.5]) },
      y: metric === 'accuracy' ? { range: [0, 1] } : { range: (_u, _min, max) => [0, Math.max(max, 0.1) * 1.1] },
    },
    axes: [
      { label: 'epoch', incrs: [1, 2, 5, 10, 20, 50], values: (_u, ticks) => ticks.map((t) => String(t)) },
      { values: (_u, ticks) => ticks.map(format), size: 60 },
    ],
    series: [
      { label: 'epoch' },
      { label: 'training', stroke: TRAIN, width: 2, points: { show: true, size: 7 }, value: (_u, v) => fmt(v) },
      {
        label: 'validation',
        stroke: VALIDATION,
        width: 2,
        dash: [6, 4],
        points: { show: true, size: 7 },
        spanGaps: true,
        value: (_u, v) => fmt(v),
      },
    ],
  };
  const fmt = (v: number | null) => (v === null || v === undefined ? '–' : format(v));
  const plot = new uPlot(opts, [[], [], []], target);
  const resize = new ResizeObserver(() => plot.setSize({ width: width(), height: HEIGHT }));
  resize.observe(target);

  return {
    update(progress) {
      epochs = progress.epochs;
      const { history } = progress;
      const val = metric === 'loss' ? 'valLoss' : 'valAccuracy';
      plot.setData([history.map((e) => e.epoch), history.map((e) => e[metric]), history.map((e) => e[val] ?? null)]);
      target.dataset.points = String(history.length);
      const last = history.at(-1);
      target.setAttribute(
        'aria-label',
        last
          ? `${metric} per epoch: ${history.length} of ${epochs} epochs, last training ${metric} ${format(last[metric])}`
          : `${metric} per epoch: no epoch finished yet`,
      );
    },
    destroy() {
      resize.disconnect();
      plot.destroy();
    },
  };
}
