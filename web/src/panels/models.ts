import { api, errorMessage } from '../api.js';
import { byId, h } from '../dom.js';
import { dateTime, fixed, percent } from '../format.js';
import type { ListOf, Model, RegisteredModel } from '../types.js';
import { tenantQuery } from '../tenant.js';

const BLUE = [29, 78, 216];

/**
 * A cell's blue, deeper with its share, and the text colour that reads best on it: black or
 * white, whichever contrasts more (never less than 4.5:1 against any blend of blue and white).
 */
function shade(share: number) {
  const a = Math.min(1, share * 1.2);
  const rgb = BLUE.map((c) => Math.round(c * a + 255 * (1 - a)));
  const lin = rgb.map((c) => ((c / 255 + 0.055) / 1.055) ** 2.4);
  const luminance = 0.2126 * lin[0]! + 0.7152 * lin[1]! + 0.0722 * lin[2]!;
  const onBlack = (luminance + 0.05) / 0.05;
  const onWhite = 1.05 / (luminance + 0.05);
  return { background: `rgb(${rgb.join(', ')})`, text: onBlack >= onWhite ? '#000' : '#fff' };
}

/** Names longer than this head the columns by their number (the row shows both), so N columns stay narrow. */
const SHORT_NAME = 3;

/** The N×N counts as a table; a cell's shade is its share of the true class's row. */
function confusionTable(table: HTMLTableElement, matrix: number[][], labels: string[]) {
  const numbered = labels.some((l) => l.length > SHORT_NAME);
  const name = (i: number) => labels[i] ?? String(i);
  const head = h(
    'tr',
    {},
    h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'True class')),
    ...matrix.map((_, j) => {
      const cell = h('th', { scope: 'col', title: `predicted ${name(j)}` }, numbered ? String(j) : name(j));
      if (numbered) cell.setAttribute('aria-label', `predicted ${name(j)}`);
      return cell;
    }),
  );
  const rows = matrix.map((counts, i) => {
    const total = counts.reduce((a, b) => a + b, 0) || 1;
    return h(
      'tr',
      {},
      h('th', { scope: 'row', title: `true ${name(i)}` }, numbered ? `${i} ${name(i)}` : name(i)),
      ...counts.map((n, j) => {
        const share = n / total;
        const cell = h('td', { class: i === j ? 'diag' : undefined }, String(n));
        const { background, text } = shade(share);
        // CSSOM styles, which a strict CSP allows (style attributes it would block).
        cell.style.backgroundColor = background;
        cell.style.color = text;
        return cell;
      }),
    );
  });
  table.querySelector('thead')?.remove();
  table.querySelector('tbody')?.remove();
  table.append(h('thead', {}, head), h('tbody', {}, ...rows));
}

/** Models table with a details view: confusion matrix and per-class precision and recall. */
export function createModelsPanel(onModels: (models: Model[], registered: RegisteredModel[]) => void) {
  const tableEl = byId<HTMLTableElement>('models-table');
  const tbody = byId('models-rows');
  const empty = byId('models-empty');
  const detail = byId('model-detail');
  let selected: string | undefined;

  function showDetail(model: Model) {
    selected = model.id;
    detail.hidden = false;
    byId('model-detail-title').textContent = `Model: ${model.name}`;
    byId('model-detail-classes').textContent =
      `${model.labels.length} classes, images prepared by the ${model.preprocess} rule` +
      (model.preprocess === 'fit' ? ' (letterboxed to 28×28)' : ' (inverted if light, cropped, centred)');
    const { confusionMatrix, perClass } = model.metrics;
    byId('model-detail-none').hidden = Boolean(confusionMatrix || perClass);
    const matrixTable = byId<HTMLTableElement>('confusion-matrix');
    matrixTable.hidden = !confusionMatrix;
    if (confusionMatrix) confusionTable(matrixTable, confusionMatrix, model.labels);
    byId('per-class').hidden = !perClass;
    byId('per-class-rows').replaceChildren(
      ...(perClass ?? []).map((c) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, c.label),
          h('td', {}, percent(c.precision)),
          h('td', {}, percent(c.recall)),
          h('td', {}, String(c.support)),
        ),
      ),
    );
    for (const row of tbody.querySelectorAll('tr')) row.classList.toggle('selected', row.dataset.id === model.id);
  }

  async function refresh() {
    try {
      const { items, registered } = await api<ListOf<Model> & { registered: RegisteredModel[] }>(
        `/v1/models?${tenantQuery().slice(1)}`,
      );
      tableEl.hidden = items.length === 0;
      empty.hidden = items.length > 0;
      empty.textContent = 'No models yet: a completed job stores one.';
      tbody.replaceChildren(
        ...items.map((m) => {
          const button = h('button', { type: 'button', class: 'secondary small' }, 'Metrics');
          button.setAttribute('aria-label', `Metrics of ${m.name}`);
          button.addEventListener('click', () => showDetail(m));
          return h(
            'tr',
            { 'data-id': m.id, class: m.id === selected ? 'selected' : undefined },
            h('th', { scope: 'row' }, m.name),
            h('td', {}, m.dataset),
            h('td', {}, percent(m.metrics.testAccuracy, 2)),
            h('td', {}, fixed(m.metrics.testLoss)),
            h('td', {}, dateTime(m.createdAt)),
            h('td', {}, button),
          );
        }),
      );
      const current = items.find((m) => m.id === selected);
      if (current) showDetail(current);
      else detail.hidden = true;
      onModels(items, registered);
    } catch (err) {
      empty.hidden = false;
      empty.textContent = `Models could not be loaded: ${errorMessage(err)}`;
    }
  }

  byId('models-refresh').addEventListener('click', () => void refresh());
  return { refresh };
}
