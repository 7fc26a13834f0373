// Builds the optional OpenBLAS addon (run by `npm run build`). It needs a C++ compiler, Python
// and libopenblas-dev; without them the build says why in one line and the service trains on
// wasm. With --required (the Docker image, CI) a failed build fails.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import process from 'node:process';

const here = import.meta.dirname;
const required = process.argv.includes('--required');
const gyp = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
// Headers of the running node when its installation ships them: no download needed.
const prefix = dirname(dirname(process.execPath));
const nodedir = existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
const configured = existsSync(join(here, 'build', 'Makefile'));

function run(args) {
  const out = spawnSync(process.execPath, [gyp, ...args, ...nodedir], { cwd: here, encoding: 'utf8' });
  return { ok: out.status === 0, log: `${out.stdout ?? ''}${out.stderr ?? ''}${out.error?.message ?? ''}` };
}

// Incremental after the first time: `make` rebuilds only what changed.
let result = configured ? run(['build']) : run(['rebuild']);
if (!result.ok && configured) result = run(['rebuild']);
if (result.ok) {
  process.stdout.write('native addon built: native/build/Release/trainyard_native.node\n');
} else {
  const lines = result.log.split('\n').filter((l) => /error|not found|No such file|cannot/i.test(l));
  const why = (
    lines.find((l) => !/gyp ERR! (stack|System|command|cwd|node -v|node-gyp -v|not ok)/.test(l)) ??
    lines[0] ??
    'unknown error'
  ).trim();
  if (required) {
    process.stderr.write(result.log);
    process.stderr.write(`native addon build failed: ${why}\n`);
    process.exit(1);
  }
  process.stdout.write(`native addon not built (${why}); training will use the wasm backend\n`);
}
