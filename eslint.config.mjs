// Flat ESLint config. The architecture is enforced here: the engine, the spec
// reader and the protocol are pure (no `vscode`, no DOM), so the CLI, the
// webview and plain-Node tests can all use them.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const DOM_GLOBALS = ['window', 'document', 'navigator', 'HTMLElement', 'HTMLCanvasElement', 'CanvasRenderingContext2D',
  'requestAnimationFrame', 'localStorage', 'location', 'self', 'acquireVsCodeApi']
  .map(name => ({ name, message: 'src/engine is pure TypeScript: no DOM.' }));

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'test-results/**', '.vscode-test/**', 'src/engine/wasm/assembly/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['src/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'src/engine knows nothing of VS Code.' }],
        patterns: [{ group: ['**/extension/**', '**/spec/**', '**/protocol/**', '../../webview/**', 'fs', 'path', 'worker_threads'], message: 'src/engine is pure math: it imports only itself.' }],
      }],
      'no-restricted-globals': ['error', ...DOM_GLOBALS],
    },
  },
  {
    files: ['src/spec/**/*.ts', 'src/protocol/**/*.ts', 'src/format/**/*.ts', 'src/cli/**/*.ts', 'src/debug/**/*.ts', 'src/extension/trace/**/*.ts', 'webview/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'Only src/extension (outside trace/) talks to VS Code.' }] }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: { require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
