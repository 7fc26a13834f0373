import { Type, type Static } from '@sinclair/typebox';
import { IMAGE_SIDE } from './image-shape.js';
import { IsoDate, Nullable } from './common.js';
import { TenantShown } from './tenant.js';
import { DatasetImportSchema, DatasetStateSchema } from './dataset-import.js';

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
    classes: Type.Integer({ description: 'How many classes (0 while importing)' }),
    labels: Type.Array(Type.String(), { description: 'Class names, index = label' }),
    createdAt: Nullable(IsoDate),
    state: Type.Optional(DatasetStateSchema),
    import: Type.Optional(DatasetImportSchema),
  },
  { $id: 'Dataset', title: 'Dataset' },
);

export type DatasetResource = Static<typeof DatasetSchema>;
