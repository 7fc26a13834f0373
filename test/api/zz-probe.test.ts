import { it } from 'vitest';
import { buildTestApp } from '../helpers/app.js';
import { makeIdxFiles } from '../helpers/idx.js';
it('probe', async () => {
  const t = await buildTestApp({ LOG_LEVEL: 'error' });
  const files = makeIdxFiles(20, 10);
  const { buildApp } = await import('../../src/app.js');
  const app2 = await buildApp(t.deps, { logger: false });
  app2.addHook('onError', async (_req, _rep, err) => { console.log('ERR', err.constructor.name, (err as any).code, err.message, err.stack?.split('\n').slice(0,6).join(' | ')); });
  for (const order of [['name', 'comment', 'F'], ['name', 'F', 'extra'], ['comment', 'name', 'F'], ['name', 'name', 'F'], ['F', 'name', 'comment']]) {
    const form = new FormData();
    for (const o of order) {
      if (o === 'F') for (const [k, v] of Object.entries(files)) form.append(k, new Blob([v]), k);
      else if (o === 'extra') form.append('validImages', new Blob([files.testImages]), 'v');
      else form.append(o, 'hi');
    }
    const req = new Request('http://x/', { method: 'POST', body: form });
    const r = await app2.inject({ method: 'POST', url: '/v1/datasets', payload: Buffer.from(await req.arrayBuffer()), headers: { 'content-type': req.headers.get('content-type')! } });
    console.log(order.join(','), r.statusCode, r.body);
  }
  await t.close();
});
