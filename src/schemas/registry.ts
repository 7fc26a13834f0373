import { Type, type Static } from '@sinclair/typebox';
import { IsoDate, Nullable } from './common.js';
import { ModelMetricsSchema } from './model.js';
import { TenantShown } from './tenant.js';
import { StringEnum, TrainingParamsSchema } from './training-params.js';

/**
 * Registered models: a name per tenant, immutable numbered versions (each one stored model, whose
 * id stays the version's id) and movable aliases. Ids the service makes are UUIDs; a name is a
 * lower-case slug that may not look like one, so `/v1/models/{id}` and `/v1/models/{name}` never
 * mean the same path.
 */
export const MODEL_NAME_PATTERN = '^[a-z](?:[a-z0-9-]{0,62}[a-z0-9])?$';
const MODEL_NAME = new RegExp(MODEL_NAME_PATTERN);
export const ALIAS_PATTERN = '^[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?$';
const ALIAS = new RegExp(ALIAS_PATTERN);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Always the newest version; kept by the registry itself, never set or removed by hand. */
export const LATEST = 'latest';
/** The alias a prediction by bare name uses when it exists (else `latest`). */
export const PRODUCTION = 'production';
export const MAX_TAGS = 20;
export const MAX_DESCRIPTION = 2000;

export const isUuid = (s: string): boolean => UUID.test(s);

/** Why `name` is not a model name, or undefined when it is one. */
export function modelNameProblem(name: string): string | undefined {
  if (name.length < 1 || name.length > 64) return 'must be 1–64 characters';
  if (!MODEL_NAME.test(name))
    return 'must be lower-case letters, digits and dashes, start with a letter and not end with a dash';
  if (isUuid(name)) return 'must not look like a model id (a UUID)';
  return undefined;
}

/** Why `alias` is not an alias name, or undefined when it is one. */
export function aliasProblem(alias: string): string | undefined {
  if (alias.length < 1 || alias.length > 32) return 'must be 1–32 characters';
  if (!ALIAS.test(alias))
    return 'must be lower-case letters, digits and dashes, start with a letter and not end with a dash';
  return undefined;
}

/** A model name from a job's name or dataset, when the job names none: "Digits v2" → "digits-v2". */
export function deriveModelName(from: string): string {
  let slug = from
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (!/^[a-z]/.test(slug)) slug = `m-${slug}`;
  slug = slug.slice(0, 64).replace(/-+$/, '');
  return modelNameProblem(slug) === undefined ? slug : 'model';
}

/**
 * What a path segment names: a version by id (UUID-shaped, or any id when `idsOnly`), or a
 * model by name, optionally `name@alias`.
 */
export type ModelRef = { kind: 'id'; id: string } | { kind: 'name'; name: string; alias?: string };

export function parseModelRef(segment: string): ModelRef | { kind: 'invalid'; message: string } {
  if (isUuid(segment)) return { kind: 'id', id: segment };
  const at = segment.indexOf('@');
  const name = at < 0 ? segment : segment.slice(0, at);
  const problem = modelNameProblem(name);
  if (problem) return { kind: 'invalid', message: `model name "${name.slice(0, 80)}" ${problem}` };
  if (at < 0) return { kind: 'name', name };
  const alias = segment.slice(at + 1);
  const aliasWrong = aliasProblem(alias);
  if (aliasWrong) return { kind: 'invalid', message: `alias "${alias.slice(0, 40)}" ${aliasWrong}` };
  return { kind: 'name', name, alias };
}

export const ModelNameSchema = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: MODEL_NAME_PATTERN,
  description: 'A registered model name: a lower-case slug of 1–64 characters that is not UUID-shaped',
  examples: ['digits'],
});

export const AliasNameSchema = Type.String({
  minLength: 1,
  maxLength: 32,
  pattern: ALIAS_PATTERN,
  description: 'An alias: a lower-case slug of 1–32 characters (`latest` is kept by the registry)',
  examples: ['production'],
});

export const TagsSchema = Type.Record(
  Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$' }),
  Type.String({ maxLength: 256 }),
  {
    maxProperties: MAX_TAGS,
    additionalProperties: false,
    description: `At most ${MAX_TAGS} tags, keys of 1–64 letters, digits and _.:-, values up to 256 characters`,
  },
);

export const PROMOTE_METRICS = ['testAccuracy', 'testLoss'] as const;

export const PromoteRuleSchema = Type.Object(
  {
    alias: AliasNameSchema,
    if: Type.Optional(
      Type.Object(
        {
          metric: StringEnum([...PROMOTE_METRICS], { description: 'testAccuracy: higher is better; testLoss: lower' }),
          atLeast: Type.Optional(Type.Number({ description: 'The metric must be at least this' })),
          atMost: Type.Optional(Type.Number({ description: 'The metric must be at most this' })),
          betterThanCurrent: Type.Optional(
            Type.Boolean({ description: 'The metric must beat that of the version the alias holds now' }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  {
    additionalProperties: false,
    description: 'Move this alias to the new version when the job completes, if the condition holds',
  },
);

export const PromotionSchema = Type.Object({
  alias: Type.String(),
  promoted: Type.Boolean(),
  reason: Type.String({ description: 'Why it was or was not promoted' }),
  from: Nullable(Type.Integer({ description: 'The version the alias held before' })),
});

export const LineageSchema = Type.Object({
  jobId: Type.String(),
  params: TrainingParamsSchema,
  seed: Type.Integer(),
  dataset: Type.String(),
  datasetDigest: Type.String({ description: "SHA-256 over the dataset's four IDX files, un-gzipped, in order" }),
  backend: Type.String(),
  serviceVersion: Type.String(),
  createdBy: Type.String({ description: 'The caller that submitted the job' }),
});

/**
 * TensorFlow Serving's model status, which it answers on these same paths: GET of a registered
 * model or of one version carries it beside its own fields, so TF Serving clients read it there.
 */
export const ModelVersionStatusSchema = Type.Array(
  Type.Object({
    version: Type.String(),
    state: Type.String({ description: 'AVAILABLE: every registered version can be served' }),
    status: Type.Object({ error_code: Type.String(), error_message: Type.String() }),
  }),
  { description: "TF Serving's model status (GET of a model or of one version only)" },
);
export const versionStatus = (version: number) => ({
  version: String(version),
  state: 'AVAILABLE',
  status: { error_code: 'OK', error_message: '' },
});

export const ModelVersionSchema = Type.Object(
  {
    name: Type.String(),
    version: Type.Integer({ minimum: 1 }),
    id: Type.String({ description: 'The stored model: /v1/models/{id}/model.json' }),
    tenant: Type.Optional(TenantShown),
    createdAt: IsoDate,
    description: Type.String(),
    tags: TagsSchema,
    aliases: Type.Array(Type.String(), { description: 'Aliases pointing at this version, latest included' }),
    metrics: ModelMetricsSchema,
    lineage: LineageSchema,
    model_version_status: Type.Optional(ModelVersionStatusSchema),
  },
  { $id: 'ModelVersion', title: 'ModelVersion' },
);

export const RegisteredModelSchema = Type.Object(
  {
    name: Type.String(),
    tenant: Type.Optional(TenantShown),
    createdAt: IsoDate,
    description: Type.String(),
    tags: TagsSchema,
    latestVersion: Type.Integer({ minimum: 0 }),
    aliases: Type.Record(Type.String(), Type.Integer(), { description: 'Alias → version, latest included' }),
    model_version_status: Type.Optional(ModelVersionStatusSchema),
  },
  { $id: 'RegisteredModel', title: 'RegisteredModel' },
);

export const AliasMoveSchema = Type.Object({
  alias: Type.String(),
  from: Nullable(Type.Integer()),
  to: Nullable(Type.Integer({ description: 'null: the alias was removed' })),
  at: IsoDate,
  by: Type.String({ description: 'A caller, or job:<id> for a promote rule' }),
});

export const SetAliasBodySchema = Type.Object(
  {
    version: Type.Integer({ minimum: 1 }),
    expectedVersion: Type.Optional(
      Nullable(
        Type.Integer({
          minimum: 1,
          description: 'Compare-and-set: the version the alias must hold now (null: it must not exist), else 409',
        }),
      ),
    ),
  },
  { additionalProperties: false },
);

export const PatchDescriptionSchema = Type.Object(
  { description: Type.Optional(Type.String({ maxLength: MAX_DESCRIPTION })), tags: Type.Optional(TagsSchema) },
  { additionalProperties: false, minProperties: 1 },
);

/** A registered model's path segment (named `id`: the same place holds a model id on other routes). */
const NameParam = Type.String({ maxLength: 200, description: 'A registered model name' });
export const NameParams = Type.Object({ id: NameParam });
export const VersionParams = Type.Object({
  id: NameParam,
  version: Type.Integer({ minimum: 1, maximum: 2_147_483_647, description: 'A version number' }),
});
export const AliasParams = Type.Object({
  id: NameParam,
  alias: Type.String({ maxLength: 200, description: 'An alias name' }),
});

export const VersionsQuery = Type.Object(
  {
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'Most versions listed' }),
    ),
  },
  { additionalProperties: false },
);

/** What a prediction was answered with. */
export const ResolvedModelSchema = Type.Object({
  name: Nullable(Type.String({ description: 'null: a model by id that no registered version names' })),
  version: Nullable(Type.Integer()),
  alias: Nullable(Type.String({ description: 'The alias the request resolved through, if any' })),
});

export type PromoteRule = Static<typeof PromoteRuleSchema>;
export type Promotion = Static<typeof PromotionSchema>;
export type Lineage = Static<typeof LineageSchema>;
export type ModelVersion = Static<typeof ModelVersionSchema>;
export type RegisteredModel = Static<typeof RegisteredModelSchema>;
export type AliasMove = Static<typeof AliasMoveSchema>;
export type Tags = Static<typeof TagsSchema>;
export type ResolvedModel = Static<typeof ResolvedModelSchema>;
export type ModelVersionStatus = Static<typeof ModelVersionStatusSchema>;
