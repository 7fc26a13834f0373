import { api, errorMessage } from '../api.js';
import { byId, h } from '../dom.js';
import { eta, progressText } from '../format.js';
import { isFinal, type ListOf, type TrainingJob } from '../types.js';
import { tenantQuery } from '../tenant.js';

const ACTIVE_MS = 2000;
const IDLE_MS = 10_000;

interface Row {
  li: HTMLLIElement;
  button: HTMLButtonElement;
  badge: HTMLSpanElement;
  progress: HTMLProgressElement;
  text: HTMLSpanElement;
}

export function badge(el: HTMLElement, state: string) {
  el.className = `badge badge-${state}`;
  el.textContent = state;
}

/**
 * The jobs list, refreshed every few seconds while a job is queued or running (less often
 * otherwise, and not while the tab is hidden). Rows are updated in place so that keyboard
 * focus stays where it is.
 */
export function createJobsList(onSelect: (job: TrainingJob) => void) {
  const list = byId<HTMLUListElement>('jobs-list');
  const empty = byId('jobs-empty');
  const rows = new Map<string, Row>();
  let selected: string | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const jobs = new Map<string, TrainingJob>();

  function row(job: TrainingJob): Row {
    let r = rows.get(job.id);
    if (!r) {
      const button = h('button', { type: 'button', class: 'link job-name' });
      button.addEventListener('click', () => onSelect(jobs.get(job.id) ?? job));
      const badgeEl = h('span', { class: 'badge' });
      const progress = h('progress', { max: 1, value: 0 });
      const text = h('span', { class: 'hint' });
      const li = h('li', { class: 'job' }, h('div', { class: 'job-line' }, button, badgeEl), progress, text);
      r = { li, button, badge: badgeEl, progress, text };
      rows.set(job.id, r);
    }
    return r;
  }

  function update(job: TrainingJob) {
    jobs.set(job.id, job);
    const r = row(job);
    r.button.textContent = job.name;
    r.button.setAttribute('aria-label', `${job.name}, ${job.state}`);
    badge(r.badge, job.state);
    r.progress.max = Math.max(1, job.progress.epochs);
    r.progress.value = job.progress.epoch;
    r.progress.setAttribute('aria-label', `${job.name}: epoch ${job.progress.epoch} of ${job.progress.epochs}`);
    r.text.textContent = [progressText(job), eta(job)].filter(Boolean).join(' · ');
    r.li.classList.toggle('selected', job.id === selected);
    if (job.id === selected) r.button.setAttribute('aria-current', 'true');
    else r.button.removeAttribute('aria-current');
  }

  function render(items: TrainingJob[]) {
    items.forEach((job, i) => {
      update(job);
      const li = rows.get(job.id)!.li;
      if (list.children[i] !== li) list.insertBefore(li, list.children[i] ?? null);
    });
    const keep = new Set(items.map((j) => j.id));
    for (const [id, r] of rows) {
      if (!keep.has(id)) {
        r.li.remove();
        rows.delete(id);
        jobs.delete(id);
      }
    }
    empty.hidden = items.length > 0;
  }

  async function refresh() {
    clearTimeout(timer);
    let active = false;
    try {
      const { items } = await api<ListOf<TrainingJob>>(`/v1/training-jobs?limit=20${tenantQuery()}`);
      render(items);
      empty.textContent = 'No training jobs yet.';
      active = items.some((j) => !isFinal(j.state));
    } catch (err) {
      empty.hidden = false;
      empty.textContent = `Jobs could not be loaded: ${errorMessage(err)}`;
    }
    timer = setTimeout(tick, active ? ACTIVE_MS : IDLE_MS);
  }

  // refresh shows its own errors and schedules the next tick: nothing waits for it.
  function tick() {
    if (document.hidden) timer = setTimeout(tick, ACTIVE_MS);
    else void refresh();
  }

  byId('jobs-refresh').addEventListener('click', () => void refresh());
  return {
    refresh,
    /** A job followed live shows its newest state here at once (new jobs arrive with the next refresh). */
    show(job: TrainingJob) {
      if (rows.has(job.id)) update(job);
    },
    select(id: string | undefined) {
      selected = id;
      for (const job of jobs.values()) update(job);
    },
  };
}
