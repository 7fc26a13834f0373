import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { UploadPart } from '../../client/index.js';
import type { Context } from './jobs.js';
import { int } from './jobs.js';
import { UsageError, count, fixed, percent, print, printJson, table } from './output.js';

const aliasList = (aliases: Record<string, number>) =>
  Object.entries(aliases)
    .map(([alias, version]) => `${alias}=${version}`)
    .join(', ') || '-';

/** Files a command reads are bounded: the service would refuse larger ones anyway. */
const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
const MAX_DATASET_FILE_BYTES = 4 * 1024 * 1024 * 1024;

async function readBounded(path: string, max: number): Promise<Uint8Array> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) throw new UsageError(`${path}: no such file`);
  if (info.size > max) throw new UsageError(`${path}: ${count(info.size)} bytes, more than ${count(max)}`);
  return readFile(path);
}

/** The IDX field a file is, from its name as MNIST's files are named (train-images-idx3-ubyte.gz, t10k-labels…). */
/** An archive, or CSV files (the one whose name says test is the test split), as upload fields. */
function importFields(files: string[]): [string, string][] | undefined {
  const archives = files.filter((f) => /\.(zip|tar|tgz|tar\.gz)$/i.test(f));
  const csvs = files.filter((f) => /\.csv$/i.test(f));
  if (archives.length === 0 && csvs.length === 0) return undefined;
  if (archives.length + csvs.length !== files.length || archives.length > 1 || (archives.length && csvs.length)) {
    throw new UsageError('give one archive, or one or two CSV files, or four IDX files: not a mix');
  }
  if (archives.length === 1) return [['archive', archives[0]!]];
  if (csvs.length > 2) throw new UsageError('give at most two CSV files: train and test');
  const test = csvs.length === 2 ? csvs.find((f) => /test/i.test(basename(f))) : undefined;
  if (csvs.length === 2 && !test) throw new UsageError('of two CSV files, the test split must say test in its name');
  const train = csvs.find((f) => f !== test)!;
  return test
    ? [
        ['trainCsv', train],
        ['testCsv', test],
      ]
    : [['trainCsv', train]];
}

function idxField(path: string): string | undefined {
  const name = basename(path).toLowerCase();
  const split = /t10k|test/.test(name) ? 'test' : /train/.test(name) ? 'train' : undefined;
  const kind = /images|idx3/.test(name) ? 'Images' : /labels|idx1/.test(name) ? 'Labels' : undefined;
  return split && kind ? `${split}${kind}` : undefined;
}

export function resourceCommands(program: Command, ctx: Context): void {
  program
    .command('models')
    .description('List registered models (names with their aliases), or stored models by id when none is named')
    .action(async () => {
      const client = ctx.client();
      const [registered, stored] = await Promise.all([client.listRegistered(), client.listModels()]);
      const io = ctx.io();
      if (io.json) return printJson(io, { registered, items: stored });
      if (registered.length > 0) {
        table(
          io,
          ['NAME', 'LATEST', 'ALIASES', 'CREATED'],
          registered.map((m) => [m.name, m.latestVersion, aliasList(m.aliases), m.createdAt]),
        );
        return;
      }
      table(
        io,
        ['ID', 'DATASET', 'TEST ACC', 'BACKEND', 'CREATED', 'NAME'],
        stored.map((m) => [m.id, m.dataset, percent(m.metrics.testAccuracy), m.backend, m.createdAt, m.name]),
      );
    });

  program
    .command('model <nameOrId>')
    .description("A registered model's versions and aliases side by side, or one stored model by id")
    .action(async (nameOrId: string) => {
      const client = ctx.client();
      const m = await client.getModel(nameOrId);
      const io = ctx.io();
      if ('latestVersion' in m) {
        const versions = await client.listVersions(m.name);
        if (io.json) return printJson(io, { ...m, versions });
        print(io, `${m.name}: latest ${m.latestVersion}, aliases ${aliasList(m.aliases)}`);
        table(
          io,
          ['VERSION', 'ID', 'TEST ACC', 'TEST LOSS', 'ALIASES', 'CREATED'],
          versions.map((v) => [
            v.version,
            v.id,
            percent(v.metrics.testAccuracy),
            fixed(v.metrics.testLoss),
            v.aliases.join(',') || '-',
            v.createdAt,
          ]),
        );
        return;
      }
      if (io.json) return printJson(io, m);
      table(
        io,
        ['FIELD', 'VALUE'],
        [
          ['id', m.id],
          ['name', m.name],
          ['dataset', m.dataset],
          ['job', m.jobId],
          ['backend', m.backend],
          ['test accuracy', percent(m.metrics.testAccuracy)],
          ['hidden layers', m.params.hiddenLayers.join(',')],
          ['epochs', m.params.epochs],
          ['seed', m.params.seed],
          ['size', `${count(m.sizeBytes)} bytes`],
          ['created', m.createdAt],
        ],
      );
    });

  program
    .command('promote <name> <version>')
    .description('Point an alias (production by default) at a version of a registered model; rolling back is the same')
    .option('--alias <alias>', 'the alias to move', 'production')
    .option(
      '--expected-version <n>',
      'move only if the alias still holds this version (else exit 1, a 409)',
      int('--expected-version', 1, 1e9),
    )
    .action(async (name: string, version: string, opts: { alias: string; expectedVersion?: number }) => {
      const n = int('<version>', 1, 1e9)(version);
      const moved = await ctx.client().moveAlias(name, opts.alias, n, opts.expectedVersion);
      const io = ctx.io();
      if (io.json) return printJson(io, moved);
      print(io, `${name}@${opts.alias} -> version ${n}`);
    });

  const datasets = program
    .command('datasets')
    .description('List datasets (built-in and uploaded); `datasets upload` adds one');
  datasets.action(async () => {
    const list = await ctx.client().listDatasets();
    const io = ctx.io();
    if (io.json) return printJson(io, list);
    table(
      io,
      ['ID', 'BUILT-IN', 'TRAIN', 'TEST', 'AVAILABLE', 'NAME'],
      list.map((d) => [
        d.id,
        d.builtin ? 'yes' : 'no',
        count(d.trainSize),
        count(d.testSize),
        d.available ? 'yes' : `no: ${d.note ?? ''}`,
        d.name,
      ]),
    );
  });
  datasets
    .command('upload <files...>')
    .description(
      'Upload a ZIP or tar (.tar, .tar.gz, .tgz) of class folders, CSV files (train, optional test), ' +
        'or four IDX files (train/test images and labels, .gz allowed), told apart by their names',
    )
    .requiredOption('--name <name>', "the dataset's name")
    .option(
      '--labels <names>',
      'IDX files: names of the classes, index = label, separated by commas (default "0", "1", …)',
    )
    .option('--test-split <share>', 'archives and CSV without a test split: the share of each class drawn into one')
    .option('--seed <n>', 'the seed of that split')
    .option(
      '--preprocess <rule>',
      'mnist (digit-like drawings, the default) or fit (icons, photos); predict prepares images by it',
    )
    .action(
      async (
        files: string[],
        opts: { name: string; labels?: string; testSplit?: string; seed?: string; preprocess?: string },
      ) => {
        const fields = new Map<string, string>();
        const importing = importFields(files);
        if (importing) {
          for (const [field, file] of importing) fields.set(field, file);
        }
        for (const file of importing ? [] : files) {
          const field = idxField(file);
          if (!field)
            throw new UsageError(
              `${file}: cannot tell which IDX file this is (its name should say train or t10k/test, and images or labels)`,
            );
          if (fields.has(field)) throw new UsageError(`${file} and ${fields.get(field)} are both ${field}`);
          fields.set(field, file);
        }
        const missing = ['trainImages', 'trainLabels', 'testImages', 'testLabels'].filter((f) => !fields.has(f));
        if (!importing && missing.length > 0)
          throw new UsageError(`missing ${missing.join(', ')}: give the four IDX files`);
        const parts: UploadPart[] = [];
        const text = { testSplit: opts.testSplit, seed: opts.seed };
        for (const [field, value] of Object.entries(text)) {
          if (value !== undefined) parts.push({ field, data: new TextEncoder().encode(value) });
        }
        for (const [field, file] of fields) {
          parts.push({ field, filename: basename(file), data: await readBounded(file, MAX_DATASET_FILE_BYTES) });
        }
        // After the files: the API refuses a bad value where it reads it, and with nothing left to
        // send, the command always reads its answer rather than a connection the API closed.
        for (const field of ['labels', 'preprocess'] as const) {
          const value = opts[field];
          if (value !== undefined) parts.push({ field, data: new TextEncoder().encode(value) });
        }
        const io = ctx.io();
        const tty = !!io.out.isTTY && !io.json;
        const bar = tty
          ? new cliProgress.SingleBar(
              { format: 'upload [{bar}] {percentage}% | {value}/{total} bytes', stream: io.out, hideCursor: true },
              cliProgress.Presets.shades_classic,
            )
          : undefined;
        bar?.start(1, 0);
        try {
          const dataset = await ctx.client().uploadDataset(opts.name, parts, (sent, total) => {
            bar?.setTotal(total);
            bar?.update(sent);
          });
          bar?.stop();
          if (io.json) printJson(io, dataset);
          else if (dataset.state === 'importing')
            print(io, `dataset ${dataset.id} importing; \`trainyard datasets\` shows when it is ready`);
          else
            print(
              io,
              `dataset ${dataset.id} stored: ${count(dataset.trainSize)} training and ${count(dataset.testSize)} test images`,
            );
        } finally {
          bar?.stop();
        }
      },
    );

  program
    .command('predict <images...>')
    .description('Classify image files (PNG, JPEG, WebP, GIF, BMP) with a model, or the default one')
    .option('--model <model>', 'NAME, NAME@alias or a model id (default: the service picks)')
    .action(async (paths: string[], opts: { model?: string }) => {
      const images = [];
      for (const path of paths) images.push({ name: basename(path), data: await readBounded(path, MAX_IMAGE_BYTES) });
      const answer = await ctx.client().predict(images, { model: opts.model });
      const io = ctx.io();
      if (io.json) return printJson(io, answer);
      table(
        io,
        ['FILE', 'LABEL', 'CONFIDENCE'],
        answer.predictions.map((p, i) => [paths[i], p.label, percent(p.confidence)]),
      );
      const named = (answer as { model?: { name: string; version: number; alias?: string | null } }).model;
      print(
        io,
        named
          ? `model ${named.name} version ${named.version}${named.alias ? ` (@${named.alias})` : ''}`
          : `model ${answer.modelId}`,
      );
    });
}
