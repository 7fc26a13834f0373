import type { FastifyRequest } from 'fastify';
import { BadRequestError, ConflictError, NotFoundError } from '../errors.js';
import { parseModelRef, type ResolvedModel } from '../schemas/registry.js';
import type { AppDeps } from './deps.js';
import { callerTenant, isAdmin, locate } from './tenancy.js';

/** The stored model a request means: its tenant, its id, and the name, version and alias it was reached by. */
export interface ChosenModel {
  tenant: string;
  id: string;
  model: ResolvedModel;
}

type Deps = Pick<AppDeps, 'models' | 'resolver' | 'registry' | 'keyring' | 'jobs' | 'config'>;

/** Most model names a 409 lists when `/v1/predict` cannot tell which one is meant. */
const NAMES_LISTED = 20;

/** A `name`, `name@alias` or id path segment, as a ref, or a 400 saying what is wrong with it. */
export function modelRefOf(segment: string) {
  const ref = parseModelRef(segment);
  if (ref.kind === 'invalid') throw new BadRequestError(ref.message, 'INVALID_MODEL_NAME');
  return ref;
}

/** A model name alone (no `@alias`, not an id), for the routes that manage a registered model. */
export function modelNameOf(segment: string): string {
  const ref = modelRefOf(segment);
  if (ref.kind !== 'name' || ref.alias !== undefined)
    throw new BadRequestError(
      `"${segment.slice(0, 80)}" is not a model name (a slug, without @alias)`,
      'INVALID_MODEL_NAME',
    );
  return ref.name;
}

/**
 * Which model a prediction uses. A segment names an id, `name` (its `production` alias, else
 * `latest`), `name@alias`, or with `version` one version. Without one: `DEFAULT_MODEL`, else the
 * tenant's only model; with none or several, a 409 that says which exist. Never "the newest".
 */
export async function chooseModel(
  request: FastifyRequest,
  deps: Deps,
  segment: string | undefined,
  version?: number,
): Promise<ChosenModel> {
  if (segment === undefined) return chooseDefault(request, deps);
  const ref = modelRefOf(segment);
  if (ref.kind === 'id') {
    const tenant = isAdmin(request)
      ? (await locate(request, deps, (t) => deps.models.forTenant(t).get(ref.id))).tenant
      : callerTenant(request);
    // The name of a version by id: for the answer only; an id predicts even while Redis is away.
    const named = await deps.registry.versionOfId(tenant, ref.id).catch(() => undefined);
    // An id is one stored model: under a version path it must be that version, not any.
    if (version !== undefined && named?.version !== version)
      throw new NotFoundError(`model "${ref.id}" has no version ${version}`, 'MODEL_VERSION_NOT_FOUND');
    return {
      tenant,
      id: ref.id,
      model: { name: named?.name ?? null, version: named?.version ?? null, alias: null },
    };
  }
  if (version !== undefined && ref.alias !== undefined)
    throw new BadRequestError('name a version or an alias, not both', 'INVALID_MODEL_NAME');
  const pick = version !== undefined ? { version } : ref.alias !== undefined ? { alias: ref.alias } : {};
  const { tenant, value } = await locate(request, deps, (t) => deps.resolver.resolve(t, ref.name, pick));
  return { tenant, id: value.id, model: { name: value.name, version: value.version, alias: value.alias } };
}

async function chooseDefault(request: FastifyRequest, deps: Deps): Promise<ChosenModel> {
  const tenant = callerTenant(request);
  const fixed = deps.config.DEFAULT_MODEL;
  if (fixed) {
    const ref = modelRefOf(fixed);
    if (ref.kind !== 'name') throw new Error('DEFAULT_MODEL names a model, not an id'); // the config pattern
    try {
      const r = await deps.resolver.resolve(tenant, ref.name, ref.alias ? { alias: ref.alias } : {});
      return { tenant, id: r.id, model: { name: r.name, version: r.version, alias: r.alias } };
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      throw new ConflictError(`DEFAULT_MODEL "${fixed}": ${err.message}`, 'NO_MODEL');
    }
  }
  const names = await deps.resolver.names(tenant, NAMES_LISTED + 1);
  if (names.length === 0)
    throw new ConflictError('no model has been trained yet: POST /v1/training-jobs first', 'NO_MODEL');
  if (names.length > 1) {
    const shown = names
      .slice(0, NAMES_LISTED)
      .map((n) => `"${n}"`)
      .join(', ');
    const more = names.length > NAMES_LISTED ? ' and more' : '';
    throw new ConflictError(
      `this tenant has several models (${shown}${more}): name one, as POST /v1/models/{name}/predict or ?model=name, or set DEFAULT_MODEL`,
      'MODEL_AMBIGUOUS',
    );
  }
  const r = await deps.resolver.resolve(tenant, names[0]!);
  return { tenant, id: r.id, model: { name: r.name, version: r.version, alias: r.alias } };
}
