import { Type, type Static } from '@sinclair/typebox';
import { IsoDate, Nullable } from './common.js';
import { TenantShown } from './tenant.js';

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
    imageShape: Type.Tuple([Type.Literal(28), Type.Literal(28)]),
    classes: Type.Literal(10),
    labels: Type.Array(Type.String(), { description: 'Class names, index = label' }),
    createdAt: Nullable(IsoDate),
  },
  { $id: 'Dataset', title: 'Dataset' },
);

export type DatasetResource = Static<typeof DatasetSchema>;
