import { api, errorMessage } from '../api.js';
import { epochChart, type EpochChart } from '../charts.js';
import { byId, h, showError } from '../dom.js';
import { eta, fixed, percent, progressText } from '../format.js';
import { watchJob, type Transport } from '../job-watch.js';
import { isFinal, type TrainingJob } from '../types.js';
import { badge } from './jobs-list.js';

const TRANSPORT_TEXT: Record<Transport, string> = {
  connecting: 'Live updates: connecting…',
  streaming: 'Live updates: streaming',
  polling: 'Live updates: polling every second',
};

/** The followed job: state, progress, live loss and accuracy charts, and its cancel button. */
export function createJobView(handlers: {
  onChange(job: TrainingJob): void;
  onFinished(job: TrainingJob): void;
  announce(text: string): void;
}) {
  const detail = byId('job-detail');
  const title = byId('job-title');
  const state = byId('job-state');
  const cancel = byId<HTMLButtonElement>('job-cancel');
  const progress = byId<HTMLProgressElement>('job-progress');
  const errorEl = byId('job-error');
  let current: TrainingJob | undefined;
  let stopWatching: (() => void) | undefined;
  let charts: EpochChart[] = [];

  function render(job: TrainingJob, transport?: Transport) {
    const previous = current;
    current = job;
    title.textContent = `Job: ${job.name}`;
    badge(state, job.state);
    byId('job-summary').textContent =
      `${job.dataset} · ${job.params.epochs} epoch${job.params.epochs === 1 ? '' : 's'} · batch ${job.params.batchSize} · ` +
      `${job.params.optimizer} at ${job.params.learningRate} · layers ${job.params.hiddenLayers.join('-')}`;
    byId('job-progress-label').textContent = progressText(job);
    progress.max = Math.max(1, job.progress.epochs);
    progress.value = job.progress.epoch;
    byId('job-eta').textContent = eta(job) ?? '';
    if (transport) byId('job-transport').textContent = isFinal(job.state) ? '' : TRANSPORT_TEXT[transport];
    showError(errorEl, job.state === 'failed' ? `Training failed: ${job.error?.message ?? 'no reason given'}` : '');
    cancel.disabled = isFinal(job.state);
    for (const chart of charts) chart.update(job.progress);
    byId('history-rows').replaceChildren(
      ...job.progress.history.map((e) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, String(e.epoch)),
          h('td', {}, fixed(e.loss)),
          h('td', {}, percent(e.accuracy, 2)),
          h('td', {}, fixed(e.valLoss)),
          h('td', {}, percent(e.valAccuracy, 2)),
          h('td', {}, e.seconds.toFixed(1)),
        ),
      ),
    );
    handlers.onChange(job);
    if (previous?.id === job.id && previous.state !== job.state) {
      handlers.announce(`Job "${job.name}" is ${job.state}.`);
      if (isFinal(job.state)) handlers.onFinished(job);
    }
  }

  function show(job: TrainingJob) {
    stopWatching?.();
    for (const chart of charts) chart.destroy();
    byId('job-empty').hidden = true;
    detail.hidden = false;
    current = undefined;
    charts = [
      epochChart(byId('loss-chart'), 'loss', (v) => v.toFixed(3)),
      epochChart(byId('accuracy-chart'), 'accuracy', (v) => `${Math.round(v * 100)}%`),
    ];
    render(job);
    stopWatching = watchJob(job.id, {
      onUpdate: render,
      onError: (err) => showError(errorEl, `Updates failed: ${errorMessage(err)}`),
    });
  }

  // A listener cannot wait for a promise; cancelCurrent shows its own failure in the panel.
  cancel.addEventListener('click', () => void cancelCurrent());
  async function cancelCurrent() {
    if (!current) return;
    cancel.disabled = true;
    try {
      const job = await api<TrainingJob>(`/v1/training-jobs/${encodeURIComponent(current.id)}/cancel`, {
        method: 'POST',
      });
      handlers.announce(`Cancelling job "${job.name}".`);
    } catch (err) {
      showError(errorEl, `Cancel failed: ${errorMessage(err)}`);
      cancel.disabled = false;
    }
  }

  return { show, currentId: () => current?.id };
}
