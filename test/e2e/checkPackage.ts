// The .vsix holds only what runs: the bundles, media, examples, README, CHANGELOG, LICENSE, package.json and its
// translations (package.nls*.json, l10n/);
// no sources, tests, node_modules or contributor docs; under 3 MB. Run after `vsce package` (test/run-all.sh).

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '../../..');
const VSIX = path.join(ROOT, 'conv-visual-debugger.vsix');
const MAX_BYTES = 3 * 1024 * 1024;

const files = execFileSync('npx', ['vsce', 'ls', '--no-dependencies'], { cwd: ROOT, encoding: 'utf8' }).split('\n').map(l => l.trim()).filter(Boolean);
/**
 * What must not ship: sources, tests, dependencies, the README's screenshots (served from the repository), maps,
 * and what is for contributors (CONTRIBUTING.md, ARCHITECTURE.md, docs/, .vscode/).
 */
const stray = files.filter(f => /^(src|test|webview|node_modules|out|media\/screenshots|docs|\.vscode)\//.test(f) || /^(CONTRIBUTING|ARCHITECTURE)\.md$/.test(f) || f.endsWith('.map') || f.endsWith('.ts'));
const checks: [string, boolean, string][] = [
  ['the bundles that run (and the Chinese spec schema) are in it', ['dist/extension.js', 'dist/traceWorker.js', 'dist/webview.js', 'dist/web/extension.js', 'dist/web/traceWorker.js', 'dist/conv-spec.schema.zh-cn.json'].every(f => files.includes(f)), files.filter(f => f.startsWith('dist/')).join(', ')],
  ['README, CHANGELOG, LICENSE, package.json and the icon are in it', ['README.md', 'CHANGELOG.md', 'LICENSE', 'package.json', 'media/icon.png'].every(f => files.includes(f)), ''],
  ['the translations are in it (manifest and extension host, English and Chinese)', ['package.nls.json', 'package.nls.zh-cn.json', 'l10n/bundle.l10n.zh-cn.json'].every(f => files.includes(f)), files.filter(f => f.startsWith('package.nls') || f.startsWith('l10n/')).join(', ')],
  ['no sources, tests, node_modules, README screenshots, source maps or contributor docs', stray.length === 0, stray.join(', ')],
  [`the .vsix is under ${MAX_BYTES / 2 ** 20} MB`, fs.existsSync(VSIX) && fs.statSync(VSIX).size < MAX_BYTES, fs.existsSync(VSIX) ? `${(fs.statSync(VSIX).size / 1024).toFixed(0)} KB` : 'no .vsix'],
];
let failed = 0;
for (const [what, ok, detail] of checks) {
  console.log(`  ${ok ? '✔' : '✘'} ${what}${detail ? ` (${detail})` : ''}`);
  if (!ok) failed++;
}
console.log(`${files.length} files in the package`);
console.log(`${checks.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
