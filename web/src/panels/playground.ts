import { apiFetch, ApiError, errorMessage } from '../api.js';
import { byId, h, showError } from '../dom.js';
import { percent } from '../format.js';
import { IMAGE_TYPES } from '../../../src/schemas/image-types.js';
import type { Model, PredictResponse, RegisteredModel } from '../types.js';

const BRUSH = 18;
/** Classes shown as bars: a model of more shows its most likely ones, most likely first. */
const MAX_BARS = 10;

/** White strokes on black, like MNIST, drawn with any pointer (mouse, pen, touch). */
function drawingPad(canvas: HTMLCanvasElement) {
  const ctx = canvas.getContext('2d')!;
  let drawn = false;
  const clear = () => {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    drawn = false;
  };
  clear();
  // The canvas may be shown smaller than its 280 px (phones): map CSS pixels to canvas pixels.
  const point = (e: PointerEvent) => {
    const box = canvas.getBoundingClientRect();
    return [((e.clientX - box.left) * canvas.width) / box.width, ((e.clientY - box.top) * canvas.height) / box.height];
  };
  let last: number[] | undefined;
  const to = (e: PointerEvent) => {
    const [x, y] = point(e) as [number, number];
    ctx.strokeStyle = '#fff';
    ctx.fillStyle = '#fff';
    ctx.lineWidth = BRUSH;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    if (last) {
      ctx.moveTo(last[0]!, last[1]!);
      ctx.lineTo(x, y);
      ctx.stroke();
    } else {
      ctx.arc(x, y, BRUSH / 2, 0, Math.PI * 2);
      ctx.fill();
    }
    last = [x, y];
    drawn = true;
  };
  canvas.addEventListener('pointerdown', (e) => {
    canvas.setPointerCapture(e.pointerId);
    last = undefined;
    to(e);
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!last) return;
    for (const c of e.getCoalescedEvents?.() ?? [e]) to(c);
  });
  const end = () => (last = undefined);
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  return {
    clear,
    isEmpty: () => !drawn,
    png: () =>
      new Promise<Blob>((resolve, reject) =>
        canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the drawing could not be encoded'))), 'image/png'),
      ),
  };
}

/** Draws a canvas and an uploaded image through the model; shows probabilities and the model's 28×28 input. */
export function createPlayground(announce: (text: string) => void) {
  const pad = drawingPad(byId<HTMLCanvasElement>('draw-canvas'));
  const modelSelect = byId<HTMLSelectElement>('predict-model');
  const bars = byId<HTMLOListElement>('prob-bars');
  const summary = byId('result-summary');
  const errorEl = byId('predict-error');
  const seen = byId<HTMLCanvasElement>('seen-canvas');
  const labelsById = new Map<string, string[]>();
  // Until someone picks a model, the picker follows the first registered one.
  let picked = false;
  modelSelect.addEventListener('change', () => (picked = true));

  function showInput(pixels: number[]) {
    const ctx = seen.getContext('2d')!;
    const image = ctx.createImageData(28, 28);
    pixels.forEach((v, i) => image.data.set([v, v, v, 255], i * 4));
    ctx.putImageData(image, 0, 0);
    byId('seen-figure').hidden = false;
  }

  function showPrediction(res: PredictResponse) {
    const p = res.predictions[0];
    if (!p) throw new Error('the service answered without a prediction');
    const labels = labelsById.get(res.modelId);
    const classes = p.probabilities.map((prob, i) => ({ prob, i }));
    const shown =
      classes.length <= MAX_BARS ? classes : classes.sort((a, b) => b.prob - a.prob || a.i - b.i).slice(0, MAX_BARS);
    byId('prob-note').textContent =
      classes.length > MAX_BARS ? `The ${MAX_BARS} most likely of ${classes.length} classes.` : '';
    bars.replaceChildren(
      ...shown.map(({ prob, i }) => {
        const label = labels?.[i] ?? String(i);
        const fill = h('span', { class: 'prob-fill' });
        fill.style.width = `${(prob * 100).toFixed(1)}%`;
        return h(
          'li',
          { class: i === p.class ? 'prob top' : 'prob' },
          h('span', { class: 'prob-label' }, label),
          h('span', { class: 'prob-bar', role: 'presentation' }, fill),
          h('span', { class: 'prob-value' }, percent(prob)),
        );
      }),
    );
    const text = `Prediction: ${p.label} (${percent(p.confidence)} sure)`;
    summary.textContent = text;
    const { name, version, alias } = res.model;
    byId('result-model').textContent = name
      ? `by ${name} version ${version}${alias ? ` (${alias})` : ''}`
      : `by model ${res.modelId}`;
    announce(text);
    if (p.input) showInput(p.input);
  }

  async function predict(image: Blob) {
    showError(errorEl, undefined);
    // Nothing of an earlier image stays on show beside this one's result or error.
    bars.replaceChildren();
    byId('prob-note').textContent = '';
    byId('seen-figure').hidden = true;
    summary.textContent = 'Predicting…';
    const model = modelSelect.value;
    const path = model ? `/v1/models/${encodeURIComponent(model)}/predict?debug=1` : '/v1/predict?debug=1';
    try {
      const headers = { 'content-type': image.type || 'application/octet-stream' };
      const res = await apiFetch(path, { method: 'POST', headers, body: image });
      const body = (await res.json().catch(() => undefined)) as (PredictResponse & { message?: string }) | undefined;
      if (!res.ok) throw new ApiError(res.status, body?.message ?? `${res.status} ${res.statusText}`);
      showPrediction(body!);
    } catch (err) {
      summary.textContent = 'No prediction.';
      showError(errorEl, errorMessage(err));
      announce(`Prediction failed: ${errorMessage(err)}`);
    }
  }

  // A listener cannot wait for a promise: the drawing's encoding failure is shown like a prediction's.
  byId('predict-drawing').addEventListener('click', () => {
    if (pad.isEmpty()) {
      showError(errorEl, 'Draw something first.');
      return;
    }
    pad
      .png()
      .then(predict)
      .catch((err: unknown) => showError(errorEl, errorMessage(err)));
  });
  byId('clear-drawing').addEventListener('click', () => {
    pad.clear();
    announce('Drawing cleared.');
  });
  const upload = byId<HTMLInputElement>('upload');
  upload.accept = IMAGE_TYPES.join(',');
  upload.addEventListener('change', () => {
    const file = upload.files?.[0];
    if (!file) return;
    if (!IMAGE_TYPES.includes(file.type)) {
      showError(errorEl, `${file.name} is not a PNG, JPEG, WebP, GIF or BMP image.`);
      return;
    }
    void predict(file); // it shows its own errors
  });

  return {
    /**
     * Keeps the model picker in step with the models list: each registered model by name (its
     * production alias, else latest) and by each alias; the first is picked until one is chosen.
     */
    setModels(models: Model[], registered: RegisteredModel[]) {
      const chosen = modelSelect.value;
      const refs = registered.flatMap((m) => [
        { value: m.name, text: `${m.name} (${m.aliases.production ? 'production' : 'latest'})` },
        ...Object.entries(m.aliases)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([alias, version]) => ({
            value: `${m.name}@${alias}`,
            text: `${m.name}@${alias} (version ${version})`,
          })),
      ]);
      const keep = picked && (chosen === '' || refs.some((r) => r.value === chosen)) ? chosen : (refs[0]?.value ?? '');
      modelSelect.replaceChildren(
        h('option', { value: '', selected: keep === '' }, 'Default model'),
        ...refs.map((r) => h('option', { value: r.value, selected: r.value === keep }, r.text)),
      );
      for (const m of models) labelsById.set(m.id, m.labels);
    },
  };
}
