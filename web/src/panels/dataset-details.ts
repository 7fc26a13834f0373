import { apiFetch } from '../api.js';
import { h } from '../dom.js';
import type { DatasetResource } from '../types.js';

/**
 * Beside the dataset picker: an uploaded dataset's preview grid (as the network sees its images)
 * and its class balance, train and test images per class as bars; an import in progress says how
 * far it has got, a failed one why.
 */
export function createDatasetDetails(container: HTMLElement) {
  let shownUrl: string | undefined;
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
        h('td', {}, h('span', { class: 'bar', style: `width:${Math.round(((c.train + c.test) / most) * 100)}%` })),
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

  async function show(d: DatasetResource | undefined) {
    current = d?.id ?? '';
    if (shownUrl) URL.revokeObjectURL(shownUrl);
    shownUrl = undefined;
    container.replaceChildren();
    if (!d || d.builtin) return;
    if (d.state === 'importing') {
      const p = d.import?.progress;
      container.append(
        h(
          'p',
          { class: 'hint' },
          `Importing: ${p?.filesRead ?? 0} files read, ${p?.imagesKept ?? 0} images kept, ${p?.imagesSkipped ?? 0} skipped.`,
        ),
      );
      return;
    }
    if (d.state === 'failed') {
      container.append(h('p', { class: 'field-error' }, `The import failed: ${d.import?.error ?? 'unknown reason'}`));
      return;
    }
    const balance = classBalance(d);
    if (balance) container.append(balance);
    const skipped = d.import?.report?.skippedCount ?? 0;
    if (skipped > 0)
      container.append(
        h('p', { class: 'hint' }, `${skipped.toLocaleString()} files skipped (see the dataset's report).`),
      );
    // The preview needs the key, so it is fetched and shown from a blob URL (the CSP allows blob: images).
    const res = await apiFetch(`/v1/datasets/${encodeURIComponent(d.id)}/preview.png`).catch(() => undefined);
    if (!res?.ok || current !== d.id) return;
    shownUrl = URL.createObjectURL(await res.blob());
    container.append(
      h('img', { class: 'dataset-preview', src: shownUrl, alt: `The first images of each class of ${d.name}` }),
    );
  }

  return { show: (d: DatasetResource | undefined) => void show(d) };
}
