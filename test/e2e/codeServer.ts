// Starts code-server (VS Code 1.100's server and web workbench) on loopback with
// a fresh user-data and extensions folder, and builds workbench URLs whose
// payload loads the extension under development and its tests.

import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '../../..');

/** Runs test/e2e/setup.sh (installs what is missing) and returns the code-server binary. */
export function ensureCodeServer(): string {
  if (process.env.CODE_SERVER) return process.env.CODE_SERVER;
  const out = execFileSync('bash', [path.join(ROOT, 'test/e2e/setup.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return out.trim().split('\n').pop()!;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface CodeServer {
  host: string;
  dataDir: string;
  /** Workbench URL opening `folder`, with payload entries (extensionDevelopmentPath, extensionTestsPath, ...). */
  url(folder: string, payload: [string, string][]): string;
  /** A path on this machine as the workbench's remote URI. */
  remote(p: string): string;
  /** Everything the server printed. */
  log(): string;
  /** Changes user settings while running (VS Code picks the file up live). */
  updateSettings(settings: Record<string, unknown>): void;
  stop(): Promise<void>;
}

export interface StartOptions {
  bin: string;
  port?: number;
  /** Extra user settings. */
  settings?: Record<string, unknown>;
  /** .vsix files to install before starting (what users install). */
  vsix?: string[];
  /** Keep the data dir after stop (for a person to look at). */
  keep?: boolean;
  /** VS Code's display language (`--locale`); needs a language pack for it among `vsix`. */
  locale?: string;
}

export async function startCodeServer(opts: StartOptions): Promise<CodeServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cvd-code-server-'));
  const port = opts.port ?? await freePort();
  const host = `127.0.0.1:${port}`;
  fs.writeFileSync(path.join(dataDir, 'config.yaml'), 'auth: none\ncert: false\n');
  fs.mkdirSync(path.join(dataDir, 'user/User'), { recursive: true });
  const settingsFile = path.join(dataDir, 'user/User/settings.json');
  let current: Record<string, unknown> = {
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'update.mode': 'none',
    'telemetry.telemetryLevel': 'off',
    'security.workspace.trust.enabled': false,
    ...opts.settings,
  };
  fs.writeFileSync(settingsFile, JSON.stringify(current, null, 2));
  const args = ['--config', path.join(dataDir, 'config.yaml'), '--auth', 'none', '--bind-addr', host,
    '--user-data-dir', path.join(dataDir, 'user'), '--extensions-dir', path.join(dataDir, 'extensions'),
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
    '--disable-getting-started-override', '--ignore-last-opened', ...(opts.locale ? ['--locale', opts.locale] : [])];
  for (const vsix of opts.vsix ?? []) {
    execFileSync(opts.bin, [...args, '--install-extension', vsix, '--force'], { encoding: 'utf8', stdio: 'pipe' });
  }
  if (opts.locale) registerLanguagePacks(path.join(dataDir, 'extensions'), path.join(dataDir, 'user'));
  const server: ChildProcess = spawn(opts.bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`code-server did not start in 60 s\n${output}`)), 60_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (/HTTP server listening/.test(output)) { clearTimeout(timer); resolve(); }
    };
    server.stdout!.on('data', onData);
    server.stderr!.on('data', onData);
    server.once('exit', code => { clearTimeout(timer); reject(new Error(`code-server exited with ${code}\n${output}`)); });
  });
  const remote = (p: string) => `vscode-remote://${host}${p}`;
  return {
    host,
    dataDir,
    remote,
    url: (folder, payload) =>
      `http://${host}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`,
    log: () => output,
    updateSettings(settings) {
      current = { ...current, ...settings };
      fs.writeFileSync(settingsFile, JSON.stringify(current, null, 2));
    },
    async stop() {
      if (server.exitCode === null) {
        const exited = new Promise(r => server.once('exit', r));
        server.kill('SIGTERM');
        await Promise.race([exited, new Promise(r => setTimeout(r, 5000))]);
        if (server.exitCode === null) server.kill('SIGKILL');
      }
      if (!opts.keep) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Lists the installed language packs in languagepacks.json, as VS Code does when one is installed from
 * its UI: `--install-extension` leaves the list alone, and without it `--locale` falls back to English.
 */
function registerLanguagePacks(extensionsDir: string, userDataDir: string): void {
  const packs: Record<string, unknown> = {};
  for (const dir of fs.existsSync(extensionsDir) ? fs.readdirSync(extensionsDir) : []) {
    const manifestFile = path.join(extensionsDir, dir, 'package.json');
    if (!fs.existsSync(manifestFile)) continue;
    const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
    for (const l of manifest.contributes?.localizations ?? []) {
      const translations = Object.fromEntries((l.translations ?? []).map((t: { id: string; path: string }) => [t.id, path.join(extensionsDir, dir, t.path)]));
      packs[l.languageId.toLowerCase()] = {
        hash: `${manifest.publisher}.${manifest.name}-${manifest.version}`,
        extensions: [{ extensionIdentifier: { id: `${manifest.publisher}.${manifest.name}` }, version: manifest.version }],
        translations,
        label: l.localizedLanguageName ?? l.languageName,
      };
    }
  }
  fs.writeFileSync(path.join(userDataDir, 'languagepacks.json'), JSON.stringify(packs, null, 2));
}

/** Copies the server's logs (extension host, our output channel) to `dest`. */
export function collectLogs(cs: CodeServer, dest: string): void {
  const logs = path.join(cs.dataDir, 'user/logs');
  fs.mkdirSync(dest, { recursive: true });
  fs.writeFileSync(path.join(dest, 'code-server.log'), cs.log());
  if (fs.existsSync(logs)) fs.cpSync(logs, path.join(dest, 'logs'), { recursive: true });
}
