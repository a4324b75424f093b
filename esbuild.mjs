// One build script for every bundle (extension-samples esbuild-sample style):
//   node esbuild.mjs [--production] [--watch] [--tests]
// extension host (Node, CommonJS), webview (browser IIFE), the engine library,
// the conv-trace CLI; --tests also transpiles the test tree for mocha.
import * as esbuild from 'esbuild';
import { readFileSync, rmSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const args = new Set(process.argv.slice(2));
const production = args.has('--production');
const watch = args.has('--watch');
const { version } = JSON.parse(readFileSync('package.json', 'utf8'));

const common = {
  bundle: true,
  minify: production,
  sourcemap: production ? false : 'linked',
  sourcesContent: false,
  logLevel: 'warning',
  define: { __VERSION__: JSON.stringify(version) },
  // jsonc-parser's UMD main hides its requires from the bundler; its ESM build does not.
  mainFields: ['module', 'main'],
};

const node = { ...common, platform: 'node', format: 'cjs', target: 'node20' };

const builds = [
  { ...node, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  { ...node, entryPoints: ['src/lib.ts'], outfile: 'dist/engine.js' },
  { ...node, entryPoints: ['src/extension/trace/traceWorker.ts'], outfile: 'dist/traceWorker.js' },
  { ...node, entryPoints: ['src/debug/adapter.ts'], outfile: 'dist/debugAdapter.js' },
  { ...node, entryPoints: ['src/cli/convTrace.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  { ...common, platform: 'browser', format: 'iife', target: 'es2022', entryPoints: ['webview/main.ts'], outfile: 'dist/webview.js' },
];

function filesUnder(dir, pattern) {
  return readdirSync(dir).flatMap(name => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p, pattern) : pattern.test(p) ? [p] : [];
  });
}

if (args.has('--tests')) {
  // The render benchmark's page script.
  builds.push({ ...common, platform: 'browser', format: 'iife', target: 'es2022', entryPoints: ['test/bench/render.ts'], outfile: 'out/bench/render.js' });
  // Tests run from out/, transpiled file by file so mocha sees one file per suite.
  rmSync('out', { recursive: true, force: true });
  builds.push({
    ...common, bundle: false, platform: 'node', format: 'cjs', target: 'node20', sourcemap: 'inline',
    entryPoints: [...filesUnder('src', /\.ts$/), ...filesUnder('test', /\.ts$/), ...filesUnder('webview/render', /\.ts$/)], outdir: 'out', outbase: '.',
  });
}

if (watch) {
  const contexts = await Promise.all(builds.map(b => esbuild.context(b)));
  await Promise.all(contexts.map(c => c.watch()));
  console.log('[watch] build started');
} else {
  await Promise.all(builds.map(b => esbuild.build(b)));
}
