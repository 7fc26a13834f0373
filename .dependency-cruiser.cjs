// The architecture's import rules, checked by `npm run lint` (depcruise). Each rule's name is
// what a violation prints; its comment says why the rule exists.

const FASTIFY = '^node_modules/(fastify|fastify-plugin|@fastify/[^/]+)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A file cycle has no order in which its modules can be read or tested alone.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-folder-cycles',
      severity: 'error',
      comment:
        'Two folders that import each other (through any files) are one layer in two places: ' +
        'pick the direction and move the shared part down.',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
    {
      name: 'schemas-are-the-ground-floor',
      severity: 'error',
      comment: 'src/schemas is imported by every layer and by the dashboard; it imports nothing of src/.',
      from: { path: '^src/schemas/' },
      to: { path: '^src/', pathNot: '^src/schemas/' },
    },
    {
      name: 'training-and-datasets-know-no-service',
      severity: 'error',
      comment:
        'Training and dataset code runs inside sandboxed worker processes and in benchmarks: ' +
        'it must not reach the HTTP API, the queue or the worker.',
      from: { path: '^src/(training|datasets|importer)/' },
      to: { path: '^src/(api|queue|worker)/', reachable: true },
    },
    {
      name: 'inference-knows-no-training',
      severity: 'error',
      comment:
        'The predictor reads the image shape from src/schemas; loading training, the queue or ' +
        'the API into the inference path would pull tfjs training code and Redis into it.',
      from: { path: '^src/inference/' },
      to: { path: '^src/(training|queue|api)/', reachable: true },
    },
    {
      name: 'worker-knows-no-api',
      severity: 'error',
      comment: 'Worker processes run without the HTTP server: no file of src/worker imports src/api or Fastify.',
      from: { path: '^src/worker/' },
      to: { path: ['^src/api/', FASTIFY] },
    },
    {
      name: 'worker-loads-no-http',
      severity: 'error',
      comment:
        'A worker process (main.ts) and its sandboxed trainer (processor.ts) must not load ' +
        'Fastify or the API even indirectly: it costs memory and start-up time in every process.',
      from: { path: '^src/worker/(main|processor)[.]ts$' },
      to: { path: ['^src/api/', '^src/(app|server|runtime)[.]ts$', FASTIFY], reachable: true },
    },
    {
      name: 'models-know-no-service',
      severity: 'error',
      comment: 'The model and checkpoint stores are used by the API and the worker alike; they import neither.',
      from: { path: '^src/models/' },
      to: { path: '^src/(api|queue|worker)/', reachable: true },
    },
    {
      name: 'registry-knows-no-service',
      severity: 'error',
      comment:
        'The model registry is used by the API (resolving names) and the training children (registering ' +
        'versions); it may use the Redis keys of the queue, never the API or the worker.',
      from: { path: '^src/registry/' },
      to: { path: '^src/(api|worker)/', reachable: true },
    },
    {
      name: 'storage-is-a-leaf',
      severity: 'error',
      comment: 'Object storage sits under every store; it may use only src/schemas and src/errors.ts.',
      from: { path: '^src/storage/' },
      to: { path: '^src/', pathNot: ['^src/storage/', '^src/schemas/', '^src/errors[.]ts$'] },
    },
    {
      name: 'dashboard-uses-only-schemas',
      severity: 'error',
      comment:
        'The dashboard runs in the browser: of the service it may know only the schemas and the ' +
        "client's generated API types.",
      from: { path: '^web/src/' },
      to: { path: '^src/', pathNot: ['^src/schemas/', '^src/client/api-types[.]ts$'] },
    },
    {
      name: 'client-stands-alone',
      severity: 'error',
      comment:
        'The typed client is a library for users (`trainyard/client`): it speaks HTTP and knows the ' +
        'API from its generated types only, never the server code.',
      from: { path: '^src/client/' },
      to: { path: '^src/', pathNot: '^src/client/' },
    },
    {
      name: 'cli-speaks-through-the-client',
      severity: 'error',
      comment: 'The trainyard command is a client of the API like any other: it reaches it through src/client only.',
      from: { path: '^src/cli/trainyard' },
      to: { path: '^src/', pathNot: ['^src/client/', '^src/cli/trainyard'] },
    },
    {
      name: 'dashboard-imports-schema-types-only',
      severity: 'error',
      comment:
        'A value import of a schema would bundle TypeBox into the page; the form reads its fields ' +
        'from __TRAINING_PARAMS__, fixed at build time by vite.config.ts. Plain constant lists that ' +
        'import nothing (job states, image types) are the exception.',
      from: { path: '^web/src/' },
      to: {
        path: '^src/schemas/',
        pathNot: '^src/schemas/(job-states|image-types)\\.ts$',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'not-to-dev-dep',
      severity: 'error',
      comment:
        'The image installs only dependencies (npm ci --omit=dev): a devDependency imported ' +
        'from src/ works in tests and fails in production.',
      // The client types' generator runs only on a development checkout (`npm run openapi`).
      from: { path: '^src/', pathNot: '^src/cli/client-types[.]ts$' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'], pathNot: '^node_modules/@types/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that does not resolve fails at run time (or in the bundle); usually a typo or a moved file.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|coverage|native/build)/' },
    // Type-only imports count too: they show what a module is written against.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.check.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
};
