import { ApiError, api, errorMessage, postJson } from '../api.js';
import { byId, h, showError } from '../dom.js';
import { ownTenantQuery } from '../tenant.js';
import { createDatasetDetails } from './dataset-details.js';
import type { DatasetResource, ListOf, ParamSchema, TrainingJob } from '../types.js';

const LABELS: Record<string, string> = {
  epochs: 'Epochs',
  batchSize: 'Batch size',
  learningRate: 'Learning rate',
  optimizer: 'Optimizer',
  validationSplit: 'Validation split',
  hiddenLayers: 'Hidden layers',
  activation: 'Activation',
  seed: 'Seed',
};
// The form's other fields, as the page labels them: for messages about them.
const FIELD_LABELS: Record<string, string> = {
  ...LABELS,
  dataset: 'Dataset',
  name: 'Name',
  model: 'Model',
  promote: 'Promote to alias',
};
// Shown under "Network and seed"; the rest are in view.
const MORE = new Set(['hiddenLayers', 'activation', 'seed']);

const range = (s: ParamSchema) => {
  const low = s.minimum ?? (s.exclusiveMinimum !== undefined ? `more than ${s.exclusiveMinimum}` : undefined);
  if (low === undefined || s.maximum === undefined) return '';
  return typeof low === 'number' ? `${low}–${s.maximum}` : `${low}, at most ${s.maximum}`;
};

function hintFor(name: string, s: ParamSchema): string {
  const parts = [s.description];
  if (s.type === 'array' && s.items) parts.push(`comma-separated, each ${range(s.items)}`);
  else if (s.type !== 'string') parts.push(range(s));
  if (name === 'seed') parts.push('empty: random');
  return parts.filter(Boolean).join('; ');
}

/** One labelled control per hyperparameter, with its default, limits, hint and error slot. */
function paramField(name: string, s: ParamSchema): HTMLElement {
  const id = `param-${name}`;
  const label = h('label', { for: id }, LABELS[name] ?? name);
  const describedBy = `hint-${name} err-${name}`;
  let control: HTMLInputElement | HTMLSelectElement;
  if (s.enum) {
    control = h('select', { id, name, 'aria-describedby': describedBy });
    for (const v of s.enum) control.append(h('option', { value: v, selected: v === s.default }, v));
  } else {
    const isNumber = s.type === 'integer' || s.type === 'number';
    control = h('input', {
      id,
      name,
      type: isNumber ? 'number' : 'text',
      inputmode: isNumber ? (s.type === 'integer' ? 'numeric' : 'decimal') : undefined,
      min: s.minimum,
      max: s.maximum,
      step: s.type === 'integer' ? 1 : isNumber ? 'any' : undefined,
      value: Array.isArray(s.default) ? s.default.join(', ') : (s.default as string | number | undefined),
      placeholder: name === 'seed' ? 'random' : undefined,
      autocomplete: 'off',
      'aria-describedby': describedBy,
    });
  }
  return h(
    'div',
    { class: 'field' },
    label,
    control,
    h('p', { class: 'hint', id: `hint-${name}` }, hintFor(name, s)),
    h('p', { class: 'field-error', id: `err-${name}`, hidden: true }),
  );
}

/** Reads the form into a request body; fields left empty take the service's defaults. */
function readBody(form: HTMLFormElement, params: Record<string, ParamSchema>) {
  const data = new FormData(form);
  const body: Record<string, unknown> = {};
  const problems: Record<string, string> = {};
  const dataset = String(data.get('dataset') ?? '');
  if (dataset) body.dataset = dataset;
  const name = String(data.get('name') ?? '').trim();
  if (name) body.name = name;
  const model = String(data.get('model') ?? '').trim();
  if (model) body.model = model;
  // A promote rule: the alias alone moves it unconditionally; with a threshold, on test accuracy.
  const alias = String(data.get('promote') ?? '').trim();
  const atLeast = String(data.get('promoteAtLeast') ?? '').trim();
  if (alias) {
    body.promote = atLeast ? { alias, if: { metric: 'testAccuracy', atLeast: Number(atLeast) } } : { alias };
  } else if (atLeast) problems.promote = 'Name the alias to promote to';
  for (const [key, s] of Object.entries(params)) {
    const raw = String(data.get(key) ?? '').trim();
    if (raw === '') continue;
    if (s.type === 'integer' || s.type === 'number') {
      const n = Number(raw);
      if (Number.isNaN(n)) problems[key] = `${LABELS[key] ?? key} must be a number`;
      body[key] = n;
    } else if (s.type === 'array') {
      const items = raw
        .split(/[\s,]+/)
        .filter(Boolean)
        .map(Number);
      if (items.some(Number.isNaN)) problems[key] = `${LABELS[key] ?? key}: whole numbers separated by commas`;
      body[key] = items;
    } else body[key] = raw;
  }
  return { body, problems };
}

/**
 * The form field an error is about and what to show beside it: the first entry of the error's
 * `errors` (a JSON pointer into the body: "/epochs", "/hiddenLayers/1"), or the dataset for
 * errors about it (a missing or unavailable dataset carries a DATASET_ code and no fields).
 */
function fieldOf(err: ApiError): { name: string; message: string } | undefined {
  const [first] = err.fields;
  if (first) {
    const [name = '', item] = first.path
      .split('/')
      .slice(1)
      .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
    const label = FIELD_LABELS[name] ?? name;
    const where = item === undefined ? label : `${label}, item ${Number(item) + 1},`;
    return { name, message: `${where} ${first.message}` };
  }
  if (err.code?.startsWith('DATASET_')) return { name: 'dataset', message: err.message };
  return undefined;
}

export function createNewJobForm(onCreated: (job: TrainingJob) => void, announce: (text: string) => void) {
  const form = byId<HTMLFormElement>('job-form');
  const params = __TRAINING_PARAMS__;
  const main = byId('param-fields');
  const more = byId('param-fields-more');
  for (const [name, s] of Object.entries(params)) (MORE.has(name) ? more : main).append(paramField(name, s));
  const formError = byId('form-error');
  const submit = byId<HTMLButtonElement>('submit-job');

  function clearErrors() {
    for (const el of form.querySelectorAll<HTMLElement>('.field-error')) showError(el, undefined);
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    showError(formError, undefined);
  }

  function fieldError(name: string, message: string): boolean {
    const slot = document.getElementById(`err-${name}`);
    const control = form.elements.namedItem(name);
    if (!slot || !(control instanceof HTMLElement)) return false;
    showError(slot, message);
    control.setAttribute('aria-invalid', 'true');
    const details = control.closest('details');
    if (details) details.open = true;
    control.focus();
    return true;
  }

  // A listener cannot wait for a promise; submitJob shows its own errors beside the form.
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void submitJob();
  });
  async function submitJob() {
    clearErrors();
    const { body, problems } = readBody(form, params);
    const [first] = Object.entries(problems);
    if (first) {
      fieldError(...first);
      return;
    }
    submit.disabled = true;
    try {
      const job = await postJson<TrainingJob>('/v1/training-jobs', body);
      announce(`Job "${job.name}" queued.`);
      onCreated(job);
    } catch (err) {
      const field = err instanceof ApiError ? fieldOf(err) : undefined;
      const message = field?.message ?? errorMessage(err);
      if (!field || !fieldError(field.name, message)) showError(formError, message);
      announce(`The job was not started: ${message}`);
    } finally {
      submit.disabled = false;
    }
  }
  form.addEventListener('reset', () => clearErrors());

  /** The first few class names, enough to tell datasets apart. */
  const classList = (labels: string[]) =>
    labels.length <= 5 ? labels.join(', ') : `${labels.slice(0, 4).join(', ')}, …`;

  const details = createDatasetDetails(byId('dataset-details'));
  async function loadDatasets() {
    const select = byId<HTMLSelectElement>('dataset');
    const hint = byId('hint-dataset');
    try {
      const { items } = await api<ListOf<DatasetResource>>(`/v1/datasets${ownTenantQuery()}`);
      const previous = select.value;
      select.replaceChildren(
        ...items.map((d) =>
          h(
            'option',
            // A job on a dataset still importing waits for it, so it may be picked.
            {
              value: d.id,
              disabled: !d.available && d.state !== 'importing',
              selected: d.id === (previous || 'mnist-sample'),
            },
            d.state === 'importing'
              ? `${d.name} (importing)`
              : d.available
                ? d.name
                : `${d.name} (unavailable${d.note ? `: ${d.note}` : ''})`,
          ),
        ),
      );
      const describe = () => {
        const d = items.find((x) => x.id === select.value);
        hint.textContent = d
          ? `${d.trainSize.toLocaleString()} training and ${d.testSize.toLocaleString()} test images in ` +
            `${d.classes} classes (${classList(d.labels)}), ${d.preprocess} rule${d.note ? `. ${d.note}` : ''}`
          : '';
        details.show(d);
      };
      select.onchange = describe;
      describe();
    } catch (err) {
      hint.textContent = `Datasets could not be loaded: ${errorMessage(err)}`;
    }
  }
  return { loadDatasets };
}
