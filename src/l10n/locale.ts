// The panel's languages, and which one a VS Code display language maps to.

export const LOCALES = ['en', 'zh-cn'] as const;
export type Locale = (typeof LOCALES)[number];

/** `zh`, `zh-cn`, `zh-Hans-SG` → 'zh-cn'; traditional Chinese (zh-tw, zh-hk, zh-hant) and everything else → 'en'. */
export function normalizeLocale(language: string | undefined): Locale {
  const l = (language ?? '').toLowerCase();
  if (!/^zh(-|_|$)/.test(l)) return 'en';
  return /^zh[-_](tw|hk|mo|hant)/.test(l) ? 'en' : 'zh-cn';
}

/** The `<html lang>` of a locale (BCP 47). */
export function htmlLang(locale: Locale): string {
  return locale === 'zh-cn' ? 'zh-CN' : 'en';
}
