// Flat ESLint config. It enforces the architecture (ARCHITECTURE.md): which folder may import which.
//
//   src/engine      pure math; imports only itself
//     ↑
//   src/l10n        → engine                       (the panel's words; the engine's tables, e.g. ABOUT_EN)
//   src/format      → engine, l10n                 (text, explanations, export)
//   src/specReader  → engine, format, l10n         (+ jsonc-parser: JSON → tensors; fs in nodeSpecFiles.ts only)
//   src/protocol    → engine, format, l10n         (host ⇄ webview messages)
//     ↑
//   src/cli         → engine, specReader, format   (+ fs, path)
//   src/debug       → engine, specReader, format, protocol, l10n   (+ @vscode/debugadapter; fs in adapter.ts only)
//   webview/        → engine, format, l10n, protocol         (the browser: no spec reader, no Node, no vscode)
//   src/lib.ts      → engine, specReader           (the library, dist/engine.js)
//   src/extension   → anything in src/ (+ vscode, Node); its trace/ (the workers) → engine, specReader only, no vscode
//
// Nothing imports src/extension, src/cli or webview/ (they are entry points); only src/extension imports
// src/debug. Everything above src/cli in the picture runs in the webview and the web worker too, so it uses
// no Node module, no `vscode` and no DOM. Tests (test/) may import anything.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import stylistic from '@stylistic/eslint-plugin';

const SRC_FOLDERS = ['engine', 'l10n', 'format', 'specReader', 'protocol', 'debug', 'cli', 'extension'];

/**
 * One `no-restricted-imports` block: the files of `folder` may import the src/ folders in `allowed` (and their
 * own folder); every other src/ folder and webview/ is refused with a message naming the rule.
 * `alsoRefused` adds module names (Node built-ins, vscode) the folder must not use.
 */
function importRule(folder, allowed, { files = [`${folder}/**/*.ts`], ignores = [], alsoRefused = [] } = {}) {
  const own = folder.startsWith('src/') ? folder.slice(4).split('/')[0] : undefined;
  const rule = `${folder} → ${allowed.length ? allowed.join(', ') : 'only itself'}`;
  const refusedFolders = [...SRC_FOLDERS.filter(f => f !== own && !allowed.includes(f)), ...(folder === 'webview' ? [] : ['webview'])];
  const message = `${rule}: this import crosses the import graph drawn at the top of eslint.config.mjs.`;
  return {
    files,
    ignores,
    rules: {
      'no-restricted-imports': ['error', {
        paths: alsoRefused.map(name => ({ name, message: `${folder} does not use '${name}' (${rule}; see eslint.config.mjs).` })),
        patterns: refusedFolders.length ? [{ group: refusedFolders.map(f => `**/${f}/**`), message }] : [],
      }],
    },
  };
}

/** Modules a folder that also runs in the webview or a web worker must not use. */
const NODE_MODULES = ['fs', 'path', 'os', 'child_process', 'worker_threads', 'node:fs', 'node:path', 'node:os', 'node:child_process', 'node:worker_threads'];
const PURE = [...NODE_MODULES, 'vscode'];

const DOM_GLOBALS = ['window', 'document', 'navigator', 'HTMLElement', 'HTMLCanvasElement', 'CanvasRenderingContext2D',
  'requestAnimationFrame', 'localStorage', 'location', 'self', 'acquireVsCodeApi']
  .map(name => ({ name, message: 'Pure code (src/engine, l10n, format, specReader, protocol): no DOM.' }));

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'test-results/**', '.vscode-test/**', 'src/engine/wasm/assembly/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    plugins: { '@stylistic': stylistic },
    rules: {
      // The formatter: lint checks the layout the code is written in, and `npm run lint -- --fix` applies it.
      '@stylistic/indent': ['error', 2, { SwitchCase: 1, flatTernaryExpressions: true, ignoredNodes: ['ConditionalExpression *'] }],
      '@stylistic/quotes': ['error', 'single', { avoidEscape: true, allowTemplateLiterals: 'always' }],
      '@stylistic/semi': ['error', 'always'],
      '@stylistic/comma-dangle': ['error', 'always-multiline'],
      '@stylistic/no-trailing-spaces': 'error',
      '@stylistic/eol-last': 'error',
      '@stylistic/no-multiple-empty-lines': ['error', { max: 1, maxEOF: 0, maxBOF: 0 }],
      '@stylistic/object-curly-spacing': ['error', 'always'],
      '@stylistic/array-bracket-spacing': ['error', 'never'],
      '@stylistic/comma-spacing': 'error',
      '@stylistic/keyword-spacing': 'error',
      '@stylistic/space-before-blocks': 'error',
      '@stylistic/space-infix-ops': 'error',
      '@stylistic/arrow-spacing': 'error',
      '@stylistic/member-delimiter-style': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
    },
  },
  // The import graph, one block per folder (a file matches exactly one of them).
  importRule('src/engine', [], { alsoRefused: PURE }),
  importRule('src/l10n', ['engine'], { alsoRefused: PURE }),
  importRule('src/format', ['engine', 'l10n'], { alsoRefused: PURE }),
  importRule('src/specReader', ['engine', 'format', 'l10n'], { ignores: ['src/specReader/nodeSpecFiles.ts', 'src/specReader/nodeGemmThreads.ts'], alsoRefused: PURE }),
  // The spec reader's file system on Node (the CLI and the adapter process; never in a web bundle): it may use fs;
  // and the engine's helper threads on Node (the CLI, the trace worker, the adapter process): worker_threads, os.
  importRule('src/specReader', ['engine', 'format', 'l10n'], { files: ['src/specReader/nodeSpecFiles.ts', 'src/specReader/nodeGemmThreads.ts'], alsoRefused: ['vscode'] }),
  importRule('src/protocol', ['engine', 'format', 'l10n'], { alsoRefused: PURE }),
  importRule('src/cli', ['engine', 'specReader', 'format'], { alsoRefused: ['vscode'] }),
  importRule('src/debug', ['engine', 'specReader', 'format', 'protocol', 'l10n'], { ignores: ['src/debug/adapter.ts'], alsoRefused: ['vscode', 'fs', 'node:fs', 'worker_threads', 'child_process'] }),
  // The standalone adapter process (dist/debugAdapter.js) is Node only: it may read files.
  importRule('src/debug', ['engine', 'specReader', 'format', 'protocol', 'l10n'], { files: ['src/debug/adapter.ts'], alsoRefused: ['vscode'] }),
  importRule('src/lib.ts', ['engine', 'specReader'], { files: ['src/lib.ts'], alsoRefused: PURE }),
  importRule('src/extension', ['engine', 'l10n', 'format', 'specReader', 'protocol', 'debug', 'cli']),
  importRule('src/extension/trace', ['engine', 'specReader'], { alsoRefused: ['vscode'] }),
  importRule('webview', ['engine', 'format', 'l10n', 'protocol'], { alsoRefused: PURE }),
  {
    files: ['src/engine/**/*.ts', 'src/l10n/**/*.ts', 'src/format/**/*.ts', 'src/specReader/**/*.ts', 'src/protocol/**/*.ts'],
    rules: { 'no-restricted-globals': ['error', ...DOM_GLOBALS] },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: { require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
