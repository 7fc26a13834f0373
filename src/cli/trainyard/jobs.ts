import type { Command } from 'commander';
import type { CreateTrainingJob, JobState, TrainingJob, TrainyardClient } from '../../client/index.js';
import { createFollowView, printOutcome } from './follow-view.js';
import { EXIT, UsageError, count, fixed, percent, print, printJson, table, type Io } from './output.js';

export interface Context {
  client(): TrainyardClient;
  io(): Io;
  /** Where the process ends: the exit code of the command. */
  exit(code: number): void;
}

const STATES = ['queued', 'running', 'completed', 'failed', 'cancelled'];

/** A whole number in range, or a usage error naming the option. */
export function int(name: string, min: number, max: number) {
  return (value: string) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max)
      throw new UsageError(`${name} must be a whole number from ${min} to ${max}, not "${value}"`);
    return n;
  };
}

function num(name: string) {
  return (value: string) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${name} must be a number, not "${value}"`);
    return n;
  };
}

function hidden(value: string): number[] {
  const units = value.split(',').map((v) => v.trim());
  if (units.length === 0 || units.some((u) => !/^\d+$/.test(u) || Number(u) < 1)) {
    throw new UsageError(`--hidden takes units per layer joined by commas, such as 128,64; not "${value}"`);
  }
  return units.map(Number);
}

/** `--promote A [--promote-if R]` as the job's promote rule. */
function promoteRule(alias: string, rule: string | undefined): NonNullable<CreateTrainingJob['promote']> {
  if (rule === undefined) return { alias };
  if (rule === 'better') return { alias, if: { metric: 'testAccuracy', betterThanCurrent: true } };
  const m = /^(testAccuracy|testLoss)(>=|<=)([0-9]*\.?[0-9]+)$/.exec(rule.replace(/\s+/g, ''));
  if (!m) throw new UsageError(`--promote-if takes testAccuracy>=N, testLoss<=N or better; not "${rule}"`);
  const bound = Number(m[3]);
  const metric = m[1] as 'testAccuracy' | 'testLoss';
  return { alias, if: { metric, ...(m[2] === '>=' ? { atLeast: bound } : { atMost: bound }) } };
}

const finishedCode = (job: TrainingJob) => (job.state === 'completed' ? EXIT.ok : EXIT.failed);

/**
 * Follows a job to its end; Ctrl-C detaches (the job keeps running) and says how to come back.
 * Answers the exit code.
 */
async function follow(ctx: Context, job: TrainingJob): Promise<number> {
  const io = ctx.io();
  const view = createFollowView(io, job);
  const controller = new AbortController();
  const detach = () => controller.abort(new Error('detached'));
  process.once('SIGINT', detach);
  try {
    const done = await ctx.client().followJob(job.id, view.onEvent, { signal: controller.signal });
    view.close();
    if (io.json) printJson(io, done);
    else printOutcome(io, done);
    return finishedCode(done);
  } catch (err) {
    view.close();
    if (!controller.signal.aborted) throw err;
    io.err.write(
      `\ndetached: job ${job.id} keeps running.\n  follow it again: trainyard job ${job.id} --follow\n  cancel it:       trainyard cancel ${job.id}\n`,
    );
    return EXIT.detached;
  } finally {
    process.off('SIGINT', detach);
  }
}

export function jobCommands(program: Command, ctx: Context): void {
  program
    .command('train')
    .description('Submit a training job; with --follow, watch it epoch by epoch until it ends')
    .option('--dataset <id>', 'dataset id (default: mnist-sample)')
    .option('--name <name>', 'a label for the job')
    .option('--model <name>', 'the registered model this job adds a version to')
    .option('--promote <alias>', 'move this alias to the new version when the job completes')
    .option(
      '--promote-if <rule>',
      'only if the rule holds: testAccuracy>=0.9, testLoss<=0.3, or better (than the version the alias holds)',
    )
    .option('--epochs <n>', 'passes over the training set', int('--epochs', 1, 100))
    .option('--batch-size <n>', 'samples per optimizer step', int('--batch-size', 1, 4096))
    .option('--learning-rate <r>', 'the optimizer step size', num('--learning-rate'))
    .option('--hidden <units>', 'units of each hidden layer, joined by commas (such as 128,64)', hidden)
    .option('--activation <name>', 'relu, tanh, sigmoid or elu')
    .option('--optimizer <name>', 'adam, sgd or rmsprop')
    .option('--validation-split <f>', 'fraction held out for validation each epoch', num('--validation-split'))
    .option('--seed <n>', 'seed of initialisation and shuffling', int('--seed', 0, 4294967295))
    .option('--timeout <seconds>', 'run-time limit of the job', int('--timeout', 1, 604800))
    .option('--idempotency-key <key>', 'repeating the command with the same key answers the first job')
    .option('-f, --follow', 'follow the job until it ends')
    .action(async (opts: Record<string, unknown>) => {
      const body: CreateTrainingJob = {
        ...(opts.dataset ? { dataset: opts.dataset as string } : {}),
        ...(opts.name ? { name: opts.name as string } : {}),
        ...(opts.model ? { model: opts.model as string } : {}),
        ...(opts.promote ? { promote: promoteRule(opts.promote as string, opts.promoteIf as string | undefined) } : {}),
        ...(opts.epochs !== undefined ? { epochs: opts.epochs as number } : {}),
        ...(opts.batchSize !== undefined ? { batchSize: opts.batchSize as number } : {}),
        ...(opts.learningRate !== undefined ? { learningRate: opts.learningRate as number } : {}),
        ...(opts.hidden ? { hiddenLayers: opts.hidden as number[] } : {}),
        ...(opts.activation ? { activation: opts.activation as CreateTrainingJob['activation'] } : {}),
        ...(opts.optimizer ? { optimizer: opts.optimizer as CreateTrainingJob['optimizer'] } : {}),
        ...(opts.validationSplit !== undefined ? { validationSplit: opts.validationSplit as number } : {}),
        ...(opts.seed !== undefined ? { seed: opts.seed as number } : {}),
        ...(opts.timeout !== undefined ? { timeoutSeconds: opts.timeout as number } : {}),
      };
      const io = ctx.io();
      const job = await ctx.client().submitJob(body, { idempotencyKey: opts.idempotencyKey as string | undefined });
      if (!opts.follow) {
        if (io.json) printJson(io, job);
        else print(io, `job ${job.id} ${job.state}: follow it with \`trainyard job ${job.id} --follow\``);
        return;
      }
      if (!io.json) print(io, `job ${job.id} submitted (${job.dataset}, ${job.params.epochs} epochs)`);
      ctx.exit(await follow(ctx, job));
    });

  program
    .command('jobs')
    .description('List training jobs, newest first')
    .option('--state <state>', `only jobs in this state (${STATES.join(', ')})`)
    .option('--limit <n>', 'at most this many', int('--limit', 1, 500))
    .action(async (opts: { state?: string; limit?: number }) => {
      if (opts.state && !STATES.includes(opts.state))
        throw new UsageError(`--state must be one of ${STATES.join(', ')}`);
      const jobs = await ctx.client().listJobs({ state: opts.state as JobState | undefined, limit: opts.limit });
      const io = ctx.io();
      if (io.json) return printJson(io, jobs);
      table(
        io,
        ['ID', 'STATE', 'DATASET', 'EPOCH', 'LOSS', 'TEST ACC', 'CREATED', 'NAME'],
        jobs.map((j) => [
          j.id,
          j.state,
          j.dataset,
          `${j.progress.epoch}/${j.progress.epochs}`,
          fixed(j.progress.loss),
          j.metrics ? percent(j.metrics.testAccuracy) : '-',
          j.createdAt,
          j.name,
        ]),
      );
    });

  program
    .command('job <id>')
    .description('Show one job; with --follow, watch it until it ends')
    .option('-f, --follow', 'follow the job until it ends')
    .action(async (id: string, opts: { follow?: boolean }) => {
      const client = ctx.client();
      const job = await client.getJob(id);
      const io = ctx.io();
      if (opts.follow) return ctx.exit(await follow(ctx, job));
      if (io.json) printJson(io, job);
      else {
        table(
          io,
          ['FIELD', 'VALUE'],
          [
            ['id', job.id],
            ['name', job.name],
            ['state', job.state],
            ['dataset', job.dataset],
            ['epoch', `${job.progress.epoch}/${job.progress.epochs}`],
            ['loss', fixed(job.progress.loss)],
            ['accuracy', percent(job.progress.accuracy)],
            ['samples/s', count(job.progress.samplesPerSecond)],
            ['test accuracy', percent(job.metrics?.testAccuracy)],
            ['model', job.modelId],
            ['error', job.error?.message],
          ],
        );
      }
      if (job.state === 'failed' || job.state === 'cancelled') ctx.exit(EXIT.failed);
    });

  program
    .command('cancel <id>')
    .description('Cancel a queued or running job')
    .action(async (id: string) => {
      const job = await ctx.client().cancelJob(id);
      const io = ctx.io();
      if (io.json) printJson(io, job);
      else print(io, `job ${job.id} ${job.state === 'cancelled' ? 'cancelled' : 'stops after its current batch'}`);
    });
}
