import { apiFetch } from '../api.js';
import { h } from '../dom.js';
import type { DatasetResource } from '../types.js';

/**
 * Beside the dataset picker: an uploaded dataset's preview grid (as the network sees its images)
 * and its class balance, train and test images per class; an import in progress says how far it
 * has got, a failed one why. No inline styles and no image URLs: the page keeps a strict CSP.
 */
export function createDatasetDetails(container: HTMLElement) {
  let current = '';

  function classBalance(d: DatasetResource): HTMLElement | undefined {
    const classes = d.import?.report?.classes;
    if (!classes?.length) return undefined;
    const most = Math.max(...classes.map((c) => c.train + c.test));
    const rows = classes.map((c) =>
      h(
        'tr',
        {},
        h('th', { scope: 'row' }, c.label),
        h('td', {}, h('meter', { min: 0, max: most, value: c.train + c.test, 'aria-hidden': 'true' })),
        h('td', {}, `${c.train.toLocaleString()} / ${c.test.toLocaleString()}`),
      ),
    );
    return h(
      'table',
      { class: 'class-balance' },
      h('caption', {}, 'Images per class (train / test)'),
      h('tbody', {}, ...rows),
    );
  }

  /** The preview needs the key, so it is fetched and drawn on a canvas. */
  async function preview(d: DatasetResource): Promise<void> {
    const res = await apiFetch(`/v1/datasets/${encodeURIComponent(d.id)}/preview.png`).catch(() => undefined);
    if (!res?.ok || current !== d.id) return;
    const bitmap = await createImageBitmap(await res.blob());
    const canvas = h('canvas', {
      class: 'dataset-preview',
      width: bitmap.width,
      height: bitmap.height,
      role: 'img',
      'aria-label': `The first images of each class of ${d.name}, one row per class`,
    });
    canvas.getContext('2d')?.drawImage(bitmap, 0, 0);
    bitmap.close();
    if (current === d.id) container.append(canvas);
  }

  function show(d: DatasetResource | undefined): void {
    current = d?.id ?? '';
    container.replaceChildren();
    if (!d || d.builtin) return;
    const p = d.import?.progress;
    if (d.state === 'importing') {
      const text = `Importing: ${p?.filesRead ?? 0} files read, ${p?.imagesKept ?? 0} images kept, ${p?.imagesSkipped ?? 0} skipped.`;
      container.append(h('p', { class: 'hint' }, text));
      return;
    }
    if (d.state === 'failed') {
      container.append(h('p', { class: 'field-error' }, `The import failed: ${d.import?.error ?? 'unknown reason'}`));
      return;
    }
    const balance = classBalance(d);
    if (balance) container.append(balance);
    const skipped = d.import?.report?.skippedCount ?? 0;
    if (skipped > 0) {
      container.append(
        h('p', { class: 'hint' }, `${skipped.toLocaleString()} files skipped (see the dataset's report).`),
      );
    }
    void preview(d);
  }

  return { show };
}
