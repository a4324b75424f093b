import * as vscode from 'vscode';
import { showIfSlow } from './showIfSlow';

/** `work` with a progress notification if it takes more than a moment; cancelling it calls `cancel`. */
export function withProgressIfSlow<T>(work: Promise<T>, options: vscode.ProgressOptions, cancel?: () => void): Promise<T> {
  return showIfSlow(work, w => vscode.window.withProgress(options, (_progress, token) => {
    if (cancel) token.onCancellationRequested(cancel);
    return w;
  }));
}
