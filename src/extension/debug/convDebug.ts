// Wires the conv debugger into VS Code: F5 on a spec without a launch.json
// (a DebugConfigurationProvider), an inline adapter running ConvDebugSession in
// the extension host, and the panel following every stop.

import * as fs from 'fs';
import * as vscode from 'vscode';
import { DEFAULT_MAX_ELEMENTS } from '../../engine/trace';
import { loadSpec } from '../../debug/loadSpec';
import type { ConvRuntime, Position } from '../../debug/runtime';
import { ConvDebugSession } from '../../debug/session';
import type { ConvRunner } from '../commands/runConv';
import { isJsonDocument } from '../language/jsonDocuments';
import { TracePanel } from '../panel/tracePanel';

export const DEBUG_TYPE = 'conv';

class ConvConfigurationProvider implements vscode.DebugConfigurationProvider {
  resolveDebugConfiguration(_folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): vscode.DebugConfiguration | undefined {
    // F5 with no launch.json: debug the spec in the active editor.
    if (!config.type && !config.request && !config.name) {
      const doc = vscode.window.activeTextEditor?.document;
      if (doc && isJsonDocument(doc)) config = { type: DEBUG_TYPE, request: 'launch', name: 'Debug conv spec', spec: '${file}', stopOnEntry: true };
    }
    if (!config.spec) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Open a conv spec (*.conv.json) to debug it, or set "spec" in launch.json.'));
      return undefined;
    }
    config.maxElements ??= vscode.workspace.getConfiguration('convVisualDebugger').get<number>('maxElements', DEFAULT_MAX_ELEMENTS);
    return config;
  }
}

export function registerConvDebugger(context: vscode.ExtensionContext, runner: ConvRunner): void {
  /** Shows a session's trace in the panel once, then follows its stops. */
  const follow = () => {
    let shown: ConvRuntime | undefined;
    return (runtime: ConvRuntime, position: Position) => {
      if (shown !== runtime) {
        shown = runtime;
        const uri = vscode.Uri.file(runtime.specPath);
        runner.present(runtime.trace, vscode.workspace.asRelativePath(uri, false), uri);
      }
      const step = runtime.stepAt(position);
      const changed = runtime.changed(position);
      TracePanel.active?.send({
        type: 'focus', stage: step.stage.id, ...(step.layer === undefined ? {} : { layer: step.layer }),
        ...(changed?.tensor && changed.index ? { target: { tensor: changed.tensor, index: changed.index }, pin: true } : {}),
      });
    };
  };
  context.subscriptions.push(
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, new ConvConfigurationProvider()),
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, {
      createDebugAdapterDescriptor: () => new vscode.DebugAdapterInlineImplementation(new ConvDebugSession({
        load: (spec, maxElements) => loadSpec(spec, p => new Uint8Array(fs.readFileSync(p)), maxElements),
        stopped: follow(),
      })),
    }),
  );
}
