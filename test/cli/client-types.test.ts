import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CLIENT_TYPES_FILE, generateClientTypes } from '../../src/cli/client-types.js';

describe('src/client/api-types.ts', () => {
  it('is what openapi-typescript generates from openapi.yaml (run `npm run openapi` after changing routes)', async () => {
    expect(await readFile(CLIENT_TYPES_FILE, 'utf8')).toBe(await generateClientTypes());
  });
});
