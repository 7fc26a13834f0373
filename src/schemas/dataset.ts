import { Type, type Static } from '@sinclair/typebox';
import { IMAGE_SIDE } from './image-shape.js';
import { IsoDate, Nullable } from './common.js';
import { TenantShown } from './tenant.js';
import { ClassCountSchema, ClassLabelsSchema, PreprocessSchema } from './classes.js';

export const DatasetSchema = Type.Object(
  {
    id: Type.String({ examples: ['mnist-sample'] }),
    name: Type.String(),
    builtin: Type.Boolean(),
    tenant: Type.Optional(Nullable(TenantShown)),
    available: Type.Boolean({ description: 'Whether jobs can train on it now' }),
    note: Type.Optional(Type.String({ description: 'Why it is unavailable, or how it will be fetched' })),
    trainSize: Type.Integer(),
    testSize: Type.Integer(),
    imageShape: Type.Tuple([Type.Literal(IMAGE_SIDE), Type.Literal(IMAGE_SIDE)]),
    classes: ClassCountSchema,
    labels: ClassLabelsSchema,
    preprocess: PreprocessSchema,
    createdAt: Nullable(IsoDate),
  },
  { $id: 'Dataset', title: 'Dataset' },
);

export type DatasetResource = Static<typeof DatasetSchema>;
