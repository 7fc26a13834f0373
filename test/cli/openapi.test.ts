import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { OPENAPI_FILE, generateOpenapi } from '../../src/cli/openapi.js';

describe('openapi.yaml', () => {
  it('is what the route schemas generate (run `npm run openapi` after changing routes)', async () => {
    const committed = await readFile(OPENAPI_FILE, 'utf8');
    expect(committed).toBe(await generateOpenapi());
  });

  it('documents every route with its error responses', async () => {
    const doc = parse(await readFile(OPENAPI_FILE, 'utf8'));
    expect(doc.openapi).toBe('3.1.0');
    const paths = Object.keys(doc.paths);
    for (const p of [
      '/v1/training-jobs',
      '/v1/training-jobs/{id}',
      '/v1/datasets',
      '/v1/datasets/{id}',
      '/v1/models',
      '/v1/models/{id}',
      '/v1/models/{id}/model.json',
      '/v1/models/{id}/weights.bin',
      '/v1/models/{id}/predict',
      '/v1/predict',
      '/healthz',
      '/readyz',
    ]) {
      expect(paths).toContain(p);
    }
    const post = doc.paths['/v1/training-jobs'].post;
    expect(Object.keys(post.responses)).toEqual(expect.arrayContaining(['202', '400', '404']));
    expect(post.responses['400'].content['application/json'].schema.$ref).toBe('#/components/schemas/Error');
    expect(Object.keys(doc.paths['/v1/predict'].post.requestBody.content)).toEqual(
      expect.arrayContaining(['application/json', 'multipart/form-data', 'image/png', 'image/bmp']),
    );
  });
});
