// Words for the trace: a stage's title and explanation with this run's numbers,
// and what a cell of each tensor means. Each kind's view (src/engine/layerKinds)
// says which words, as keys of the panel's catalog (src/l10n); this renders them,
// in English unless a locale is given (the CLI passes none).

import { type LayerGeometry, type StageRun, type Words, cellMeaningWords, stageExplanation, stageTitleWords } from '../engine/layerKinds/views';
import type { WordArg } from '../engine/layerKinds/view';
import type { TensorName, TraceStage } from '../engine/trace';
import { type Locale, panelText } from '../l10n/panelText';

type Entry = string | ((...args: (string | number)[]) => string);

/** Words in a language; a key the table lacks shows as itself (a test checks every view's keys are there). */
export function renderWords(w: Words, locale: Locale = 'en'): string {
  const entry = (panelText(locale) as unknown as Record<string, Entry | undefined>)[w.key];
  const args = (w.args ?? []).map((a: WordArg) => (typeof a === 'object' ? renderWords(a, locale) : a));
  return typeof entry === 'function' ? entry(...args) : entry ?? w.key;
}

/** Text that is either verbatim or words. */
export function renderText(t: string | Words, locale: Locale = 'en'): string {
  return typeof t === 'string' ? t : renderWords(t, locale);
}

/** A stage's paragraph; `delta` says where δ came from (the trace records it). */
export function explainStage(run: StageRun, g: LayerGeometry, locale: Locale = 'en'): string {
  const w = stageExplanation(g, run);
  return w ? renderWords(w, locale) : '';
}

/** A stage's title in the panel's language (the engine's own title when its kind does not name it). */
export function stageTitle(stage: TraceStage, g: LayerGeometry, locale: Locale = 'en'): string {
  const w = stageTitleWords(g, { stage });
  return w ? renderWords(w, locale) : stage.title;
}

/** What one cell means, for the tooltip: `row 5 = output (1, 2) · column 7 = (c 1, kh 1, kw 1)`. */
export function cellMeaning(g: LayerGeometry, name: TensorName, index: readonly number[], locale: Locale = 'en'): string {
  const w = cellMeaningWords(g, name, index);
  return w ? renderWords(w, locale) : '';
}
