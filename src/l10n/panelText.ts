// The panel's words in the user's language: one table per locale, the same keys.

import { en, type PanelText } from './en';
import type { Locale } from './locale';
import { zhCn } from './zh-cn';

export type { PanelText } from './en';
export { LOCALES, type Locale, htmlLang, normalizeLocale } from './locale';

export const PANEL_TEXT: Record<Locale, PanelText> = { en, 'zh-cn': zhCn };

export function panelText(locale: Locale = 'en'): PanelText {
  return PANEL_TEXT[locale];
}
