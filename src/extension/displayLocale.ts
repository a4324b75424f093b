// The language the extension speaks: VS Code's display language, as one of ours.

import * as vscode from 'vscode';
import { type Locale, normalizeLocale } from '../l10n/locale';

export function displayLocale(): Locale {
  return normalizeLocale(vscode.env.language);
}
