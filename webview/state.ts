// The panel's UI state: what the user chose, kept with getState/setState so the
// panel looks the same after it is hidden, reloaded or restored by the serializer.

import type { StageId, TensorName } from '../src/engine/trace';
import type { LinkTarget } from '../src/engine/links';
import type { ColorScheme } from './render/colormaps';
import type { PanelSettings, StageSet } from '../src/protocol/messages';
import type { DisplaySelection } from './render/displayMatrix';
import type { AttributionKind } from '../src/engine/featureMaps';
import { LOCALES, type Locale } from '../src/l10n/locale';

export type ScaleMode = 'tensor' | 'shared';

export type GalleryShow = 'output' | 'delta';
export type GalleryScale = 'channel' | 'shared';
export type GalleryOverlay = 'none' | AttributionKind;

/** What the user chose in the gallery: kept in the panel's state. */
export interface GalleryChoice {
  open: boolean;
  show: GalleryShow;
  scale: GalleryScale;
  overlay: GalleryOverlay;
  /** Of the overlay, 0..100. */
  opacity: number;
}

export const DEFAULT_GALLERY: GalleryChoice = { open: false, show: 'output', scale: 'channel', overlay: 'none', opacity: 60 };

export interface UiState {
  specUri?: string;
  stage: StageId;
  /** In a network, the layer open. */
  layer?: number;
  scheme: ColorScheme;
  scaleMode: ScaleMode;
  /** Significant digits of printed values. */
  precision: number;
  /** Whether the stepper shows the stage's explanation (the user may fold it away). */
  explain: boolean;
  /** Which stages are shown (a setting only). */
  stages: StageSet;
  /** Per tensor: batch/channel picked, slice or tiles. */
  selections: Partial<Record<TensorName, DisplaySelection>>;
  pinned?: LinkTarget;
  /** The language of the panel's words (kept, so a restored panel speaks it before the settings arrive). */
  locale: Locale;
  /** The feature-map gallery of a network's layer: open or not, and what it shows. */
  gallery: GalleryChoice;
  /** The panel settings last applied (JSON): a reload keeps the user's choices unless the settings changed since. */
  settingsApplied?: string;
}

export const DEFAULT_STATE: UiState = {
  stage: 'pad',
  scheme: 'auto',
  scaleMode: 'tensor',
  precision: 4,
  explain: true,
  stages: 'all',
  locale: 'en',
  selections: {},
  gallery: { ...DEFAULT_GALLERY },
};

export function restoreState(saved: unknown): UiState {
  if (typeof saved !== 'object' || saved === null) return { ...DEFAULT_STATE, selections: {} };
  const s = saved as Partial<UiState>;
  return {
    ...DEFAULT_STATE,
    ...s,
    explain: typeof s.explain === 'boolean' ? s.explain : DEFAULT_STATE.explain,
    precision: typeof s.precision === 'number' && s.precision >= 1 && s.precision <= 12 ? s.precision : DEFAULT_STATE.precision,
    locale: LOCALES.includes(s.locale as Locale) ? s.locale as Locale : DEFAULT_STATE.locale,
    selections: { ...(s.selections ?? {}) },
    gallery: restoreGallery(s.gallery),
  };
}

/** The gallery's choices as saved, each checked (an older or damaged state falls back to the defaults). */
function restoreGallery(saved: unknown): GalleryChoice {
  const g = (typeof saved === 'object' && saved !== null ? saved : {}) as Partial<Record<keyof GalleryChoice, unknown>>;
  const pick = <T>(v: unknown, values: readonly T[], fallback: T): T => (values.includes(v as T) ? v as T : fallback);
  return {
    open: g.open === true,
    show: pick(g.show, ['output', 'delta'] as const, DEFAULT_GALLERY.show),
    scale: pick(g.scale, ['channel', 'shared'] as const, DEFAULT_GALLERY.scale),
    overlay: pick(g.overlay, ['none', 'saliency', 'gradcam'] as const, DEFAULT_GALLERY.overlay),
    opacity: typeof g.opacity === 'number' && g.opacity >= 0 && g.opacity <= 100 ? g.opacity : DEFAULT_GALLERY.opacity,
  };
}

/** Takes the settings' colours, scale, digits and language when they differ from those last applied; true when anything changed. */
export function applySettings(state: UiState, settings: PanelSettings): boolean {
  const key = JSON.stringify(settings);
  if (state.settingsApplied === key) return false;
  state.settingsApplied = key;
  state.scheme = settings.colorScheme;
  state.scaleMode = settings.scale;
  state.precision = Math.max(1, Math.min(8, settings.precision));
  state.stages = settings.stages;
  state.locale = settings.locale;
  return true;
}
