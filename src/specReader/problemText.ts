// A problem of the engine or the spec reader in the user's language, rendered
// from its code and arguments (src/specReader/problemCodes.ts) by that language's table.

import { renderWith } from '../engine/problem';
import { printable } from '../format/safeText';
import type { Problem } from './problemCodes';
import { english } from './problemText.en';
import type { Locale } from '../l10n/locale';
import { FRAME_ZH_CN, PROBLEMS_ZH_CN } from './problemText.zh-cn';

/** A problem, with its file, op or layer, in `locale`. */
export function renderProblem(problem: Problem, locale: Locale): string {
  return locale === 'zh-cn' ? renderWith(PROBLEMS_ZH_CN, FRAME_ZH_CN, problem) : english(problem);
}

/**
 * A problem as a plain-text face shows it (the Problems panel, a notification, the
 * panel's status line): in the user's language, on one printable line, since it
 * quotes the spec's keys, strings and file names.
 */
export function shownProblem(problem: Problem, locale: Locale): string {
  return printable(renderProblem(problem, locale));
}
