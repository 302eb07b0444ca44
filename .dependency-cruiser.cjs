// The layer rules of docs/architecture.md ("Layers"), checked by `npm run lint`
// (`depcruise src`). Each rule names the layer and what it may not import; type-only
// imports count (tsPreCompilationDeps), since a type import ties the layers as much as a
// value does. test/lint/layers.test.ts shows that a wrong import fails.
//
//   contracts  zod schemas and plain values: imports nothing of ours
//   db         the schema, migrations, the connection: imports nothing of ours above it
//   core       the rules: db, contracts and itself; never server, integrations, web, cli
//   server, integrations, cli, main.ts, config.ts, doctor.ts: on top
//   web        the dashboard: contracts and itself, nothing else of ours
//
// Tests beside the code (src/**/*.test.ts) may also import test/support.

const OURS_OUTSIDE_SRC = '^(test|bench|packages|examples|scripts)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'contracts-is-a-leaf',
      comment: 'src/contracts is imported by the server and the dashboard build: it imports nothing of ours (zod only).',
      severity: 'error',
      from: { path: '^src/contracts/' },
      to: { path: '^src/', pathNot: '^src/contracts/' },
    },
    {
      name: 'db-imports-nothing-above-it',
      comment: 'src/db is the bottom layer: no core, contracts, server, integrations, web or configuration.',
      severity: 'error',
      from: { path: '^src/db/' },
      to: { path: '^src/', pathNot: '^src/db/' },
    },
    {
      name: 'core-stays-below-the-edges',
      comment: 'src/core takes a database and a clock: it never imports the HTTP server, the integrations, the dashboard, the CLI or the environment.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: '^src/', pathNot: '^src/(core|db|contracts)/' },
    },
    {
      name: 'web-imports-only-contracts',
      comment: 'The dashboard imports the contracts and itself; everything else it reaches over HTTP.',
      severity: 'error',
      from: { path: '^src/web/' },
      to: { path: '^src/', pathNot: '^src/(web|contracts)/' },
    },
    {
      name: 'nothing-imports-the-dashboard',
      comment: 'src/web is built by Vite for the browser; server code serves its build, never imports it.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/web/' },
      to: { path: '^src/web/' },
    },
    {
      name: 'code-does-not-import-tests',
      comment: 'Only tests import test/ and bench/ helpers.',
      severity: 'error',
      from: { path: '^src/', pathNot: '\\.test\\.tsx?$' },
      to: { path: OURS_OUTSIDE_SRC },
    },
    {
      name: 'no-unresolvable-imports',
      comment: 'An import that does not resolve is a typo the rules above would not see.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/web/dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.d.ts'],
    },
  },
};
