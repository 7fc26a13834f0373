/** The floors for `npm run bench`, each as met or not with the figures it was decided on. */
import type { BestAnchor } from './anchors.js';
import { fmt, pct, type Report } from './lib.js';
import { RUNS, type PredictFigures } from './predict.js';
import type { TrainedFigures } from './training.js';
import type { V2Figures } from './v2.js';

/**
 * The wasm path's one-job figure before the native backend, and PyTorch's careful script (its
 * best thread count) in the same run (docs/performance.md, 2026-12-02). Machines here differ by
 * up to 2× from session to session, so "no slower" is judged as a share of the anchor measured
 * beside it, not against the old absolute figure.
 */
const WASM_BEFORE = 24_477;
const ANCHOR_THEN = 96_222;
const WASM_SHARE_BEFORE = WASM_BEFORE / ANCHOR_THEN;

export function floors(opts: {
  trained: TrainedFigures;
  best: BestAnchor | undefined;
  blasName: string;
  predicted: PredictFigures | undefined;
  v2?: V2Figures;
  dataset: string;
  row: Report;
}): void {
  const { trained, best, blasName, predicted, v2, row } = opts;
  const verdict = (ok: boolean | undefined) => (ok === undefined ? 'not measured' : ok ? 'met' : 'NOT met');
  const native = trained.native;
  if (native && best) {
    const ratio = native.oneJob / best.sps;
    // Within 0.5 point means no more than 0.5 below the anchor: above it is no shortfall.
    const points = best.acc - native.first.accuracy * 100;
    row(
      'floor: training ≥ 1.2× PyTorch on OpenBLAS, accuracy at most 0.5 point below',
      verdict(ratio >= 1.2 && points <= 0.5),
      `${fmt(ratio, 2)}× its best (${best.threads} thread${best.threads > 1 ? 's' : ''}, ${blasName}); ${pct(native.first.accuracy)} vs ${best.acc} %`,
    );
  } else {
    row(
      'floor: training ≥ 1.2× PyTorch on OpenBLAS',
      'not measured',
      blasName ? `(the anchor runs on ${blasName})` : '(no anchor or no native run)',
    );
  }
  const twoJobs = native && native.pair / native.oneJob;
  row(
    'floor: two jobs at once ≥ 1.8× one (native)',
    verdict(twoJobs === undefined ? undefined : twoJobs >= 1.8),
    `${fmt(twoJobs ?? NaN, 2)}×`,
  );
  const wasm = trained.wasm?.oneJob;
  const share = wasm !== undefined && best ? wasm / best.sps : undefined;
  row(
    'floor: wasm no slower than before, as a share of PyTorch beside it',
    verdict(share === undefined ? undefined : share >= WASM_SHARE_BEFORE),
    `${fmt(share ?? NaN, 3)}× PyTorch against ${fmt(WASM_SHARE_BEFORE, 3)}× then (${fmt(WASM_BEFORE)} of ${fmt(ANCHOR_THEN)}); ${fmt(wasm ?? NaN)} samples/s now`,
  );
  const rss = Math.max(native?.peakRss ?? 0, trained.wasm?.peakRss ?? 0);
  row('floor: worker RSS ≤ 400 MB', verdict(rss > 0 ? rss <= 400 : undefined), `${fmt(rss)} MB, ${opts.dataset}`);
  const p = predicted?.fastapi && predicted;
  row(
    `floor: predictions ≥ 3× FastAPI, p99 ≤ 20 ms (medians of ${RUNS} runs)`,
    verdict(p ? p.ours.rps / p.fastapi!.rps >= 3 && p.ours.p99 <= 20 : undefined),
    p ? `${fmt(p.ours.rps / p.fastapi!.rps, 2)}×, p99 ${fmt(p.ours.p99, 1)} ms` : '',
  );
  const json = v2 && v2.v2Json.rps / v2.v1.rps;
  const bin = v2 && v2.v2Binary.rps / v2.v1.rps;
  row(
    `floor: V2 infer, JSON and binary, each ≥ 90 % of /v1/predict's req/s (medians of ${RUNS} runs)`,
    verdict(v2 ? json! >= 0.9 && bin! >= 0.9 : undefined),
    v2 ? `JSON ${fmt(json!, 2)}×, binary ${fmt(bin!, 2)}×` : '',
  );
}
