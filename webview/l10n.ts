// The panel's words in the language the host named (settings.locale): every
// view asks for them here when it renders, and a change of language re-renders.

import { type Locale, type PanelText, htmlLang, panelText } from '../src/l10n/panelText';

let current: Locale = 'en';

export function setLocale(locale: Locale): void {
  current = locale;
  document.documentElement.lang = htmlLang(locale);
}

export function locale(): Locale {
  return current;
}

/** The words of the current language. */
export function text(): PanelText {
  return panelText(current);
}
