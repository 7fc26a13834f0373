import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { README_FILE, TABLE_END, TABLE_START, configTable, withConfigTable } from '../../src/cli/config-table.js';
import { ConfigSchema } from '../../src/config.js';

describe("README's configuration table", () => {
  it('is what ConfigSchema generates', async () => {
    const committed = await readFile(README_FILE, 'utf8');
    const drifted = committed !== withConfigTable(committed);
    expect(drifted, 'README.md configuration table is out of date: run `npm run openapi`').toBe(false);
  });

  it('has one row per setting, with its default and description', () => {
    const table = configTable();
    const rows = table.split('\n').slice(2);
    expect(rows).toHaveLength(Object.keys(ConfigSchema.properties).length);
    expect(rows[0]).toMatch(/^\| `PORT` +\| `3000` +\| HTTP port of the API +\|$/);
    expect(table).toMatch(/^\| `API_KEYS` +\| \(empty\) +\| comma-separated/m);
    expect(table).toMatch(/^\| `S3_FORCE_PATH_STYLE` +\| `false` +\|/m);
    expect(new Set(table.split('\n').map((l) => l.length)).size).toBe(1);
  });

  it('replaces only what lies between the markers', () => {
    const readme = `# Title\n\nbefore\n\n${TABLE_START}\nold table\n${TABLE_END}\n\nafter\n`;
    expect(withConfigTable(readme)).toBe(
      `# Title\n\nbefore\n\n${TABLE_START}\n\n${configTable()}\n\n${TABLE_END}\n\nafter\n`,
    );
    expect(() => withConfigTable('# no markers\n')).toThrow(/config-table:start/);
  });
});
