import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ConfigSchema } from '../config.js';

export const README_FILE = fileURLToPath(new URL('../../README.md', import.meta.url));
export const TABLE_START = '<!-- config-table:start -->';
export const TABLE_END = '<!-- config-table:end -->';

interface SettingSchema {
  default?: unknown;
  description?: string;
}

/** `(empty)` for an empty string, otherwise the value as code. */
function formatDefault(value: unknown): string {
  if (value === '' || value === undefined) return '(empty)';
  return `\`${String(value)}\``;
}

/**
 * The configuration table in Markdown, one row per setting of ConfigSchema in its order.
 * Columns are padded the way prettier pads tables, so the README passes `prettier --check`.
 */
export function configTable(): string {
  const rows = Object.entries(ConfigSchema.properties as Record<string, SettingSchema>).map(([name, setting]) => {
    if (!setting.description) throw new Error(`ConfigSchema.${name} has no description`);
    return [`\`${name}\``, formatDefault(setting.default), setting.description.replaceAll('|', '\\|')];
  });
  const header = ['variable', 'default', 'meaning'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The README with the part between the two markers replaced by the generated table. */
export function withConfigTable(readme: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`README.md needs ${TABLE_START} and ${TABLE_END} around the table`);
  return `${readme.slice(0, start + TABLE_START.length)}\n\n${configTable()}\n\n${readme.slice(end)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--write')) {
    await writeFile(README_FILE, withConfigTable(await readFile(README_FILE, 'utf8')));
    console.log(`wrote the configuration table of ${README_FILE}`);
  } else if (process.argv.includes('--check')) {
    const current = await readFile(README_FILE, 'utf8');
    if (current !== withConfigTable(current)) {
      console.error('the configuration table of README.md is out of date: run `npm run openapi`');
      process.exit(1);
    }
  } else {
    process.stdout.write(`${configTable()}\n`);
  }
}
