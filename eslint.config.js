// ESLint flat config: type-aware TypeScript rules and the layer rules of ARCHITECTURE.md.
import { registerHooks } from 'node:module';

// typescript-eslint needs the classic TypeScript compiler API (TypeScript 6.0); the project typechecks with
// TypeScript 7, whose package has no such API. The `typescript-6` dev dependency is TypeScript 6.0 under another
// name: this hook hands it to the lint packages that ask for `typescript`, and nothing else sees it.
const LINT_PACKAGES = /\/node_modules\/(@typescript-eslint\/|ts-api-utils\/|typescript-eslint\/)/;
registerHooks({
  resolve(specifier, context, nextResolve) {
    const asksTypeScript = specifier === 'typescript' || specifier.startsWith('typescript/');
    if (asksTypeScript && LINT_PACKAGES.test(context.parentURL ?? '')) {
      return nextResolve(specifier.replace(/^typescript/, 'typescript-6'), context);
    }
    return nextResolve(specifier, context);
  },
});
const { default: tseslint } = await import('typescript-eslint');

/** The modules directly under src/: its folders and its top-level files. */
const LAYERS = [
  'tensor',
  'wire',
  'protocol',
  'core',
  'frontends',
  'tracing',
  'client',
  'viewer',
  'cli',
  'config',
  'repository',
  'errors',
  'logger',
  'closest-name',
  'version',
  'triton',
  'index',
  'server-counters',
  'uncaught-errors',
];

/**
 * A relative specifier that names one of these modules of src/ (a folder or a file): from a folder of src/, one
 * that leaves the folder; from a file directly under src/ (`root`), any.
 */
const reach = (names, root, rest = '(/|\\.ts$)') => `^${root ? '\\./' : '(\\.\\./)+'}(${names.join('|')})${rest}`;
const except = (...names) => LAYERS.filter((name) => !names.includes(name));

/**
 * What each part of src/ may import, as data: `allow` lists the modules of src/ it may import, `typeOnly` those it
 * may import only with `import type`, `only` narrows a module to some of its files, `packages` forbids npm or
 * node: packages (`typePackages`: as values), `root` marks files directly under src/. Everything not allowed is reported by `no-restricted-imports`.
 * ARCHITECTURE.md explains each line.
 */
const BOUNDARIES = {
  'src/tensor/**': { allow: ['wire'] },
  'src/wire/**': { allow: [] },
  'src/protocol/**': { allow: ['tensor', 'wire', 'errors', 'logger', 'closest-name', 'version'], typeOnly: ['core'] },
  'src/core/**': {
    allow: ['tensor', 'wire', 'errors', 'logger', 'closest-name', 'version'],
    typeOnly: ['config'],
    packages: [
      'node:http',
      'node:https',
      'node:http2',
      '@grpc/*',
      'undici',
      '@opentelemetry/sdk-*',
      '@opentelemetry/exporter-*',
    ],
    typePackages: ['@opentelemetry/api'],
  },
  'src/frontends/**': {
    allow: ['tensor', 'wire', 'protocol', 'core', 'config', 'errors', 'logger', 'closest-name', 'version'],
    typeOnly: ['tracing'],
    only: { tracing: ['frontend-trace.ts'] },
  },
  'src/tracing/**': {
    allow: ['tensor', 'wire', 'protocol', 'errors', 'logger', 'closest-name', 'version'],
    typeOnly: ['core'],
    only: { core: ['trace-hooks.ts', 'clock.ts'] },
  },
  'src/client/**': { allow: ['tensor', 'wire', 'protocol'] },
  'src/viewer/**': { allow: ['wire', 'logger'] },
  'src/config/**': { allow: ['errors', 'logger', 'closest-name', 'version'], only: { viewer: ['viewer-settings.ts'] } },
  'src/repository/**': {
    allow: ['tensor', 'core', 'errors', 'logger', 'closest-name', 'version'],
    typeOnly: ['config'],
  },
  // Files directly under src/ (`root`): the error class maps the tensor layer's error and reads the one status table.
  'src/errors.ts': { root: true, allow: [], only: { tensor: ['tensor-error.ts'], protocol: ['status-codes.ts'] } },
  'src/{logger,closest-name,version}.ts': { root: true, allow: [] },
};

function boundaryRule(rule) {
  const allowed = new Set(rule.allow);
  const typeOnly = (rule.typeOnly ?? []).filter((name) => !allowed.has(name));
  const only = Object.entries(rule.only ?? {});
  const forbidden = except(...allowed, ...typeOnly, ...only.map(([name]) => name));
  const message = 'breaks the layer rules of ARCHITECTURE.md';
  const patterns = [{ regex: reach(forbidden, rule.root), message }];
  const narrowed = only.filter(([name]) => !allowed.has(name));
  for (const [name, files] of narrowed) {
    const notListed = `/(?!(${files.map((file) => file.replaceAll('.', '\\.')).join('|')})$)`;
    patterns.push({ regex: reach([name], rule.root, notListed), message, allowTypeImports: typeOnly.includes(name) });
  }
  const plainTypeOnly = typeOnly.filter((name) => !narrowed.some(([n]) => n === name));
  if (plainTypeOnly.length > 0) {
    patterns.push({
      regex: reach(plainTypeOnly, rule.root),
      message: `${message} (types only)`,
      allowTypeImports: true,
    });
  }
  const packages = [
    ...(rule.packages ?? []).map((group) => ({ group: [group], message })),
    ...(rule.typePackages ?? []).map((group) => ({
      group: [group],
      message: `${message} (types only)`,
      allowTypeImports: true,
    })),
  ];
  return ['error', { patterns: [...patterns, ...packages] }];
}

const boundaries = Object.entries(BOUNDARIES).map(([files, rule]) => ({
  files: [files],
  rules: { 'no-restricted-imports': boundaryRule(rule) },
}));

export default tseslint.config(
  {
    ignores: ['dist/**', 'node_modules/**', 'test/grpc/gen/**', 'src/viewer/ui/dist/**', '.tmp/**', 'bench/results/**'],
  },
  {
    files: ['**/*.ts', '**/*.js'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: { allowDefaultProject: ['*.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      // node:test's test(), describe() and friends return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        // `typeof import('...')` stays allowed: core/ uses it for the module it loads only when tracing is on.
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      '@typescript-eslint/no-import-type-side-effects': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // core/ reaches tracing/ only through the dynamic import of the worker's span code, loaded when a request is traced.
  {
    files: ['src/core/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "ImportExpression[source.value=/(^|\\/)(frontends|protocol|tracing|client|viewer|cli)\\//]:not([source.value='../../tracing/worker-spans.ts'])",
          message: 'breaks the layer rules of ARCHITECTURE.md: core/ loads only tracing/worker-spans.ts dynamically',
        },
      ],
    },
  },
  ...boundaries,
);
