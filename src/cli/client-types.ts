import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import { format, resolveConfig } from 'prettier';
import { OPENAPI_FILE } from './openapi.js';

export const CLIENT_TYPES_FILE = fileURLToPath(new URL('../../src/client/api-types.ts', import.meta.url));

const HEADER = '// Generated from openapi.yaml by `npm run openapi` (openapi-typescript): do not edit.\n\n';

/** The client's types, generated from the committed openapi.yaml and formatted as the repository is. */
export async function generateClientTypes(): Promise<string> {
  const ast = await openapiTS(await readFile(OPENAPI_FILE, 'utf8'), { alphabetize: false });
  const options = (await resolveConfig(CLIENT_TYPES_FILE)) ?? {};
  return format(HEADER + astToString(ast), { ...options, filepath: CLIENT_TYPES_FILE });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = await generateClientTypes();
  if (process.argv.includes('--write')) {
    await writeFile(CLIENT_TYPES_FILE, text);
    console.log(`wrote ${CLIENT_TYPES_FILE}`);
  } else {
    process.stdout.write(text);
  }
}
