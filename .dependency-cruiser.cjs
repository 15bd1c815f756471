/**
 * The code's map, enforced: `npm run lint` runs dependency-cruiser with these rules over lib/,
 * functions/, bin/ and scripts/. docs/architecture.md describes the folders they name.
 */

/** What consume runs, in the route and in the guard package: the data plane. */
const DATA_PLANE = [
  '^lib/use-cases/consume/',
  '^lib/store/data-plane/',
  '^lib/adapters/consumption-handlers[.]ts$',
  '^lib/app/data-plane-deps[.]ts$',
  '^lib/guard/',
  '^functions/quota-consumptions[.]ts$',
];

/** The control plane's code: its stores, its use cases, its adapters and dependency set. */
const CONTROL_PLANE = [
  '^lib/store/control-plane/',
  '^lib/use-cases/[^/]+[.]ts$',
  '^lib/adapters/(registry|app-quota)-handlers[.]ts$',
  '^lib/adapters/quota-sweep-handler[.]ts$',
  '^lib/app/control-plane-deps[.]ts$',
];

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles came from item types living beside I/O; keep the graph a DAG.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'data-plane-not-to-control-plane',
      severity: 'error',
      comment:
        'The data plane (consume, its store, the guard) never reaches the control plane, not even through others.',
      from: { path: DATA_PLANE },
      to: { path: CONTROL_PLANE, reachable: true },
    },
    {
      name: 'adapters-not-to-store',
      severity: 'error',
      comment: 'A handler is an adapter: request in, one use case, response out; it never touches the store.',
      from: { path: ['^lib/adapters/', '^lib/http/'] },
      // The request's scope (its deadline, its writes) is the one part of the store http runs in.
      to: { path: '^lib/store/', pathNot: '^lib/store/table/(sdk-failures|request-scope)[.]ts$' },
    },
    {
      name: 'items-not-to-client',
      severity: 'error',
      comment: 'Item modules build items and actions; they do no I/O, so they import no client or request helper.',
      from: { path: '^lib/store/items/' },
      to: {
        path: ['^lib/store/table/(client|db)[.]ts$', '^@aws-sdk/', '^@smithy/'],
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'items-no-io-neighbours',
      severity: 'error',
      comment: 'Items sit below every store: they import only the table layer, the domain and each other.',
      from: { path: '^lib/store/items/' },
      to: { path: '^lib/store/(data-plane|control-plane|access-keys|migration)/' },
    },
    {
      name: 'domain-is-a-leaf',
      severity: 'error',
      comment: 'The domain (models, errors, rules) depends on nothing else of the service.',
      from: { path: '^lib/domain/' },
      to: { path: '^lib/', pathNot: '^lib/domain/' },
    },
    {
      name: 'store-not-to-upper-layers',
      severity: 'error',
      comment: 'The store serves the use cases; it never imports them, the adapters or the HTTP layer.',
      from: { path: '^lib/store/' },
      to: { path: '^lib/(use-cases|adapters|http|app|routing|local|infra|guard)/' },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^node_modules', '^packages/[^/]+/dist', '^cdk[.]out', '^test/guard-consumer/'] },
    tsPreCompilationDeps: true,
    combinedDependencies: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
