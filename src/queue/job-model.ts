import { BadRequestError } from '../errors.js';
import { fieldError } from '../schemas/common.js';
import type { CreateTrainingJob } from '../schemas/job.js';
import { LATEST, deriveModelName, modelNameProblem } from '../schemas/registry.js';

/**
 * The registered model a submitted job adds a version to, and its promote rule, checked before
 * the job is queued: a name that is not a slug, or looks like a model id, is a 400 naming the
 * field; `latest` is the registry's own and is never promoted to.
 */
export function jobModelOf(input: CreateTrainingJob, dataset: string): Pick<CreateTrainingJob, 'model' | 'promote'> {
  const model = input.model ?? deriveModelName(input.name ?? dataset);
  const problem = modelNameProblem(model);
  if (problem)
    throw new BadRequestError(`model name "${model}" ${problem}`, 'VALIDATION_ERROR', [fieldError('model', problem)]);
  if (input.promote?.alias === LATEST)
    throw new BadRequestError('"latest" always holds the newest version: promote another alias', 'VALIDATION_ERROR', [
      fieldError('promote', 'alias "latest" cannot be promoted to'),
    ]);
  return { model, ...(input.promote ? { promote: input.promote } : {}) };
}
