import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../helpers/app.js';
import { storeTrainedModel, syntheticImage, syntheticPng } from '../../helpers/model.js';
import { prismBin, startPrismProxy, type PrismProxy } from '../../helpers/prism.js';
import { float32Bytes, tritonRequest } from '../../helpers/v2.js';
import { parse, stringify } from 'yaml';

/**
 * V2 traffic and ordinary /v1 traffic replayed through Prism's validating proxy, loaded with
 * the protocol's official document (its `${MODEL_NAME}` paths read as `{MODEL_NAME}`) and with
 * the service's own openapi.yaml. Any violation Prism reports fails the test.
 */
const official = fileURLToPath(
  new URL('../../fixtures/open-inference-protocol/open_inference_rest.yaml', import.meta.url),
);
const ours = fileURLToPath(new URL('../../../openapi.yaml', import.meta.url));
const flat = (k: number) => Array.from(syntheticImage(k));
const skip = prismBin() === undefined;

describe.skipIf(skip)(
  skip
    ? 'traffic through Prism: skipped, prism is not installed (npm ci installs @stoplight/prism-cli)'
    : 'traffic through Prism (prism proxy --errors)',
  () => {
    let t: TestApp;
    let dir: string;
    let upstream: string;
    let spec: string;
    beforeAll(async () => {
      t = await buildTestApp();
      await storeTrainedModel(t.deps, { registerAs: 'digits' });
      upstream = await t.app.listen({ port: 0, host: '127.0.0.1' });
      dir = await mkdtemp(join(tmpdir(), 'prism-'));
      spec = join(dir, 'open_inference_rest.yaml');
      await writeFile(spec, (await readFile(official, 'utf8')).replace(/\$\{([A-Z_]+)\}/g, '{$1}'));
    });
    afterAll(async () => {
      await t.close();
      await rm(dir, { recursive: true, force: true });
    });

    interface Sent {
      method: string;
      path: string;
      body?: string | Buffer;
      headers?: Record<string, string>;
      status: number;
    }
    /** Sends each request through the proxy: its status, and no `sl-violations`. */
    async function replay(proxy: PrismProxy, traffic: Sent[]) {
      const seen = [];
      for (const r of traffic) {
        const res = await fetch(`${proxy.url}${r.path}`, {
          method: r.method,
          headers: r.headers,
          body: typeof r.body === 'string' ? r.body : r.body && new Uint8Array(r.body),
        });
        await res.arrayBuffer();
        const violations = res.headers.get('sl-violations');
        seen.push({
          req: `${r.method} ${r.path}`,
          status: res.status,
          violations: violations && JSON.parse(violations),
        });
      }
      return seen;
    }
    const json = (body: object) => ({ body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

    it('finds no violation in V2 traffic against open_inference_rest.yaml, but the 404 it does not declare', async () => {
      const proxy = await startPrismProxy(spec, upstream);
      try {
        const infer = '/v2/models/digits/versions/1/infer';
        const px = [...flat(1), ...flat(2)];
        const input = (datatype: string, shape: number[], data: unknown[]) => ({
          inputs: [{ name: 'input', shape, datatype, data }],
        });
        const traffic: Sent[] = [
          { method: 'GET', path: '/v2/health/live', status: 200 },
          { method: 'GET', path: '/v2/health/ready', status: 200 },
          { method: 'GET', path: '/v2/', status: 200 },
          { method: 'GET', path: '/v2/models/digits/versions/1', status: 200 },
          { method: 'GET', path: '/v2/models/digits/versions/1/ready', status: 200 },
          { method: 'POST', path: infer, ...json({ id: 'a', ...input('FP32', [2, 784], px) }), status: 200 },
          { method: 'POST', path: infer, ...json(input('FP64', [2, 28, 28], px)), status: 200 },
          { method: 'POST', path: infer, ...json(input('UINT8', [2, 28, 28, 1], px)), status: 200 },
          {
            method: 'POST',
            path: infer,
            ...json({
              inputs: [{ name: 'image', shape: [1], datatype: 'BYTES', data: [syntheticPng(3).toString('base64')] }],
            }),
            status: 200,
          },
          { method: 'POST', path: infer, ...json(input('FP32', [2, 784], flat(1))), status: 400 },
          { method: 'POST', path: infer, ...json(input('FP24', [1, 784], flat(1))), status: 400 },
          // Unknown model and version: 404, which the document does not declare (its text allows any
          // error status, "typically 400"): Prism warns of the status, and of nothing else.
          {
            method: 'POST',
            path: '/v2/models/nope/versions/1/infer',
            ...json(input('FP32', [1, 784], flat(1))),
            status: 404,
          },
          { method: 'GET', path: '/v2/models/digits/versions/9', status: 404 },
        ];
        const seen = await replay(proxy, traffic);
        const undeclared = (status: number) =>
          status === 404
            ? [
                {
                  location: ['response'],
                  severity: 'Warning',
                  message: expect.stringMatching(/^Unable to match the returned status code/),
                },
              ]
            : null;
        expect(seen).toEqual(
          traffic.map((r) => ({ req: `${r.method} ${r.path}`, status: r.status, violations: undeclared(r.status) })),
        );
      } finally {
        await proxy.stop();
      }
    });

    it('finds no violation in ordinary /v1 traffic against openapi.yaml', async () => {
      const proxy = await startPrismProxy(ours, upstream);
      try {
        const traffic: Sent[] = [
          { method: 'GET', path: '/healthz', status: 200 },
          { method: 'GET', path: '/v1/models', status: 200 },
          { method: 'GET', path: '/v1/models/digits', status: 200 },
          { method: 'GET', path: '/v1/models/digits/versions', status: 200 },
          { method: 'GET', path: '/v1/models/digits/versions/1', status: 200 },
          { method: 'GET', path: '/v1/datasets', status: 200 },
          { method: 'GET', path: '/v1/training-jobs', status: 200 },
          { method: 'GET', path: '/v1/whoami', status: 200 },
          { method: 'POST', path: '/v1/models/digits/predict', ...json({ pixels: flat(4) }), status: 200 },
          { method: 'POST', path: '/v1/predict?model=digits', ...json({ instances: [flat(4)] }), status: 200 },
          { method: 'POST', path: '/v1/models/digits:predict', ...json({ instances: [flat(4)] }), status: 200 },
          { method: 'GET', path: '/v1/models/digits/metadata', status: 200 },
          {
            method: 'POST',
            path: '/v2/models/digits/infer',
            ...json({ inputs: [{ name: 'input', shape: [1, 784], datatype: 'FP32', data: flat(4) }] }),
            status: 200,
          },
        ];
        const seen = await replay(proxy, traffic);
        expect(seen).toEqual(
          traffic.map((r) => ({ req: `${r.method} ${r.path}`, status: r.status, violations: null })),
        );
      } finally {
        await proxy.stop();
      }
    });

    it('cannot carry Triton binary bodies: the document refuses them, and Prism relays bytes as text', async () => {
      const req = tritonRequest([{ name: 'input', shape: [1, 784], datatype: 'FP32', raw: float32Bytes(flat(7)) }]);
      const send = (proxy: PrismProxy) =>
        fetch(`${proxy.url}/v2/models/digits/versions/1/infer`, {
          method: 'POST',
          headers: { ...req.headers, 'content-type': 'application/octet-stream' },
          body: new Uint8Array(req.payload),
        });
      // The official document declares JSON bodies only: Prism refuses the extension's, saying so.
      const plain = await startPrismProxy(spec, upstream);
      try {
        const res = await send(plain);
        expect(res.status).toBe(422);
        expect((await res.json()).validation).toEqual([
          { severity: 'Error', code: 415, message: 'Supported content types: application/json' },
        ]);
      } finally {
        await plain.stop();
      }
      // With application/octet-stream declared on infer, as the extension adds it, Prism lets the
      // body through but relays it as text: its bytes arrive re-encoded as UTF-8, longer than the
      // JSON declares, and the service refuses them for what they are. Binary exchanges are checked
      // against the document with their tensors decoded instead (v2-conformance.test.ts).
      const doc = parse(await readFile(spec, 'utf8'));
      const op = doc.paths['/v2/models/{MODEL_NAME}/versions/{MODEL_VERSION}/infer'].post;
      const octets = { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } };
      op.requestBody.content = { ...op.requestBody.content, ...octets };
      op.responses['200'].content = { ...op.responses['200'].content, ...octets };
      const extended = join(dir, 'with-binary-extension.yaml');
      await writeFile(extended, stringify(doc));
      const proxy = await startPrismProxy(extended, upstream);
      try {
        const res = await send(proxy);
        expect(res.status).toBe(400);
        expect((await res.json()).error).toMatch(/^\d+ bytes follow the JSON and the binary inputs it declares$/);
      } finally {
        await proxy.stop();
      }
    });

    it('would report every keyless /v1 request had openapi.yaml kept bearer auth required', async () => {
      const required = join(dir, 'openapi-keys-required.yaml');
      await writeFile(required, (await readFile(ours, 'utf8')).replace(/^\s+- \{\}\n/gm, ''));
      const proxy = await startPrismProxy(required, upstream);
      try {
        const urls = ['/v1/models', '/v1/models/digits', '/v1/datasets', '/v1/training-jobs', '/v1/whoami'];
        const statuses = [];
        for (const url of urls) statuses.push((await fetch(`${proxy.url}${url}`)).status);
        expect(statuses).toEqual(urls.map(() => 401)); // Prism's own refusal: the document asks for a key
      } finally {
        await proxy.stop();
      }
    });
  },
);
