import cliProgress from 'cli-progress';
import type { JobEvent, TrainingJob } from '../../client/index.js';
import { count, fixed, percent, print, type Io } from './output.js';

type Progress = TrainingJob['progress'];

/**
 * How `--follow` shows a job: on a terminal, a bar per epoch (samples done, samples/s, ETA, the
 * last loss and accuracy) that stays on screen when its epoch ends; piped, one line per epoch.
 * Each epoch is shown once, however often the stream reconnects.
 */
export function createFollowView(io: Io, job: Pick<TrainingJob, 'id'>) {
  const tty = !!io.out.isTTY && !io.json;
  const shown = new Set<number>();
  let bar: cliProgress.SingleBar | undefined;
  let barEpoch = 0;
  let lastState = '';
  let samplesTotal = 0;
  // The running epoch's speed, from the last two reports within it.
  let seen: { samples: number; at: number } | undefined;

  const startBar = (epoch: number, epochs: number, total: number, progress: Progress) => {
    bar = new cliProgress.SingleBar(
      {
        format: `epoch ${epoch}/${epochs} [{bar}] {percentage}% | {value}/{total} samples | {speed} samples/s | ETA {eta_formatted} | loss {loss} acc {acc}`,
        stream: io.out,
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 5,
        fps: 5,
        barsize: 24,
      },
      cliProgress.Presets.shades_classic,
    );
    barEpoch = epoch;
    bar.start(total, 0, {
      speed: count(progress.samplesPerSecond),
      loss: fixed(progress.loss),
      acc: percent(progress.accuracy),
    });
  };

  const stopBar = () => {
    bar?.stop();
    bar = undefined;
  };

  function onProgress(progress: Progress): void {
    const current = progress.current;
    if (current) {
      samplesTotal = current.samplesTotal;
      if (!tty || shown.has(current.epoch)) return;
      if (!bar || barEpoch !== current.epoch) {
        stopBar();
        seen = undefined;
        startBar(current.epoch, progress.epochs, current.samplesTotal, progress);
      }
      const now = Date.now();
      const speed =
        seen && current.samples > seen.samples
          ? ((current.samples - seen.samples) * 1000) / (now - seen.at)
          : undefined;
      seen = { samples: current.samples, at: now };
      bar!.update(current.samples, speed === undefined ? {} : { speed: count(speed) });
      return;
    }
    // An epoch ended: every epoch up to it is shown once, from the history the event carries.
    for (const record of progress.history) {
      if (shown.has(record.epoch)) continue;
      shown.add(record.epoch);
      const sps = record.epoch === progress.epoch ? progress.samplesPerSecond : null;
      if (tty) {
        const total = samplesTotal || Math.round((sps ?? 0) * record.seconds) || 1;
        if (!bar || barEpoch !== record.epoch) {
          stopBar();
          startBar(record.epoch, progress.epochs, total, progress);
        }
        bar!.update(total, { speed: count(sps), loss: fixed(record.loss), acc: percent(record.accuracy) });
        stopBar();
      } else {
        const val =
          record.valLoss === undefined
            ? ''
            : `  val_loss ${fixed(record.valLoss)}  val_accuracy ${percent(record.valAccuracy)}`;
        print(
          io,
          `epoch ${record.epoch}/${progress.epochs}  loss ${fixed(record.loss)}  accuracy ${percent(record.accuracy)}${val}  ${count(sps)} samples/s  ${record.seconds.toFixed(1)} s`,
        );
      }
    }
  }

  return {
    onEvent(event: JobEvent): void {
      if (event.event === 'reconnecting') {
        stopBar();
        io.err.write(`connection lost (${event.reason}); reconnecting in ${(event.delayMs / 1000).toFixed(1)} s\n`);
      } else if (event.event === 'state') {
        if (event.data.state !== lastState && !bar) print(io, `job ${job.id} ${event.data.state}`);
        lastState = event.data.state;
      } else if (event.event === 'progress') {
        onProgress(event.data);
      } else {
        onProgress(event.data.progress);
      }
    },
    close: stopBar,
  };
}

/** The lines that end a followed job: its outcome, test metrics and model. */
export function printOutcome(io: Io, job: TrainingJob): void {
  if (job.state === 'completed') {
    const m = job.metrics;
    print(io, `completed: test accuracy ${percent(m?.testAccuracy)}, test loss ${fixed(m?.testLoss)}`);
    const named =
      job.model && job.modelVersion ? `model ${job.model} version ${job.modelVersion} (id ${job.modelId})` : '';
    print(io, named || `model ${job.modelId ?? '-'}`);
    if (job.promotion) {
      print(
        io,
        `${job.promotion.promoted ? 'promoted' : 'not promoted'} to @${job.promotion.alias}: ${job.promotion.reason}`,
      );
    }
  } else {
    print(io, `${job.state}${job.error ? `: ${job.error.message}` : ''}`);
  }
}
