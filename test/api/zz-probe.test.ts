import { it } from 'vitest';
import { buildTestApp } from '../helpers/app.js';
it('probe', async () => {
  const t = await buildTestApp();
  for (const url of ['/v1/training-jobs/' + 'a'.repeat(101), '/v1/training-jobs/' + 'a'.repeat(300), '/v1/datasets/' + 'a'.repeat(150)]) {
    const r = await t.app.inject({ method: 'GET', url });
    console.log(r.statusCode, r.headers['content-type'], r.body);
  }
  await t.close();
});
