// The panel's words in the user's language: one table per locale, the same keys.

import { type About, type AboutTable, renderAbout } from '../engine/about';
import { ABOUT_EN } from '../engine/aboutText.en';
import { ABOUT_ZH_CN } from './aboutText.zh-cn';
import { en, type PanelText } from './en';
import type { Locale } from './locale';
import { zhCn } from './zh-cn';

export type { PanelText } from './en';
export { LOCALES, type Locale, htmlLang, normalizeLocale } from './locale';

export const PANEL_TEXT: Record<Locale, PanelText> = { en, 'zh-cn': zhCn };

export function panelText(locale: Locale = 'en'): PanelText {
  return PANEL_TEXT[locale];
}

/** What each recorded tensor is, per locale (the engine writes its English). */
export const ABOUT_TEXT: Record<Locale, AboutTable> = { en: ABOUT_EN, 'zh-cn': ABOUT_ZH_CN };

/** A tensor's description in a locale. */
export function aboutText(about: About, locale: Locale = 'en'): string {
  return renderAbout(ABOUT_TEXT[locale], about);
}
