import { api, errorMessage } from '../api.js';
import { byId, h, showError } from '../dom.js';
import { dateTime, fixed, percent } from '../format.js';
import type { ListOf, ModelVersion, RegisteredModel } from '../types.js';

const PRODUCTION = 'production';

const aliasText = (aliases: Record<string, number>) =>
  Object.entries(aliases)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([alias, version]) => `${alias} → v${version}`)
    .join(', ');

/**
 * Registered models by name with their aliases; a model's versions side by side (metrics,
 * aliases), each of which can be made `production`: promoting a new one and rolling back to an
 * old one are the same move, a compare-and-set on the version the alias held when shown.
 */
export function createRegistryPanel(onChanged: () => void, announce: (text: string) => void) {
  const table = byId<HTMLTableElement>('registered-table');
  const rows = byId('registered-rows');
  const detail = byId('versions-detail');
  const versionRows = byId('versions-rows');
  const errorEl = byId('versions-error');
  let open: RegisteredModel | undefined;

  async function promote(model: RegisteredModel, version: number) {
    showError(errorEl, undefined);
    const expectedVersion = model.aliases[PRODUCTION] ?? null;
    const path = `/v1/models/${encodeURIComponent(model.name)}/aliases/${PRODUCTION}`;
    try {
      await api(path, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ version, expectedVersion }),
      });
      announce(`${model.name}: production is now version ${version}.`);
      onChanged();
    } catch (err) {
      showError(errorEl, errorMessage(err));
    }
  }

  async function showVersions(model: RegisteredModel) {
    open = model;
    byId('versions-title').textContent = `Versions of ${model.name}`;
    showError(errorEl, undefined);
    try {
      const { items } = await api<ListOf<ModelVersion>>(`/v1/models/${encodeURIComponent(model.name)}/versions`);
      versionRows.replaceChildren(
        ...items.map((v) => {
          const isProduction = model.aliases[PRODUCTION] === v.version;
          const button = h('button', { type: 'button', class: 'secondary small' }, 'Make production');
          button.disabled = isProduction;
          button.setAttribute('aria-label', `Make version ${v.version} of ${model.name} production`);
          button.addEventListener('click', () => void promote(model, v.version));
          return h(
            'tr',
            { 'data-version': String(v.version) },
            h('th', { scope: 'row' }, String(v.version)),
            h('td', {}, percent(v.metrics.testAccuracy, 2)),
            h('td', {}, fixed(v.metrics.testLoss)),
            h('td', {}, v.aliases.join(', ')),
            h('td', {}, dateTime(v.createdAt)),
            h('td', {}, button),
          );
        }),
      );
      detail.hidden = false;
    } catch (err) {
      showError(errorEl, errorMessage(err));
    }
  }

  return {
    /** Shows the registered models of the latest listing; an open versions table is shown again. */
    show(registered: RegisteredModel[]) {
      table.hidden = registered.length === 0;
      rows.replaceChildren(
        ...registered.map((m) => {
          const button = h('button', { type: 'button', class: 'secondary small' }, 'Versions');
          button.setAttribute('aria-label', `Versions of ${m.name}`);
          button.addEventListener('click', () => void showVersions(m));
          return h(
            'tr',
            { 'data-name': m.name },
            h('th', { scope: 'row' }, m.name),
            h('td', {}, String(m.latestVersion)),
            h('td', {}, aliasText(m.aliases)),
            h('td', {}, button),
          );
        }),
      );
      const again = open && registered.find((m) => m.name === open!.name);
      if (again) void showVersions(again);
      else detail.hidden = true;
    },
  };
}
