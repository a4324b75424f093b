// Every user-visible string the accessibility layer adds (names for screen
// readers, live announcements, key hints), English, in one place so the panel's
// localization can take them over in one move.

/** The heatmap's role as a screen reader says it. */
export const HEATMAP_ROLE = 'tensor heatmap';

/** A heatmap's accessible name when its card gives none (tensors read from a debug session). */
export function heatmapName(tensor: string, shape: string): string {
  return `${tensor} ${shape}`;
}

/** The keys of a heatmap, read as its description. */
export const HEATMAP_KEYS = 'Arrow keys move the cell cursor; Shift+arrows move 10 cells, Ctrl+arrows to the edge, Page Up and Page Down a screen, '
  + 'Home and End to the ends of the row, Ctrl+Home and Ctrl+End to the first and last cell. '
  + 'Enter or Space pins the cell, Escape releases it. Plus and minus zoom, 0 shows all.';

/** The view controls over the stages. */
export const TOOLBAR_LABEL = 'View options';
/** The facts about the layer (shapes, stride, padding, ...). */
export const FACTS_LABEL = 'Layer geometry';
/** A tensor card's own actions (slice, zoom, copy, save). */
export function tensorToolbarLabel(tensor: string): string {
  return `${tensor} actions`;
}
/** The "all" checkbox of a 4-D tensor: every channel tiled. */
export function allChannelsLabel(tensor: string): string {
  return `${tensor}: show all channels`;
}

/** The live line for the cell the keyboard cursor is on. */
export function cellAnnouncement(cell: { tensor: string; index: readonly number[]; value: string | undefined; meaning: string; pinned?: boolean }): string {
  const value = cell.value === undefined ? 'loading' : cell.value;
  const pinned = cell.pinned === undefined ? '' : cell.pinned ? 'Pinned. ' : 'Released. ';
  return `${pinned}${cell.tensor}[${cell.index.join(', ')}] = ${value}${cell.meaning ? `. ${cell.meaning}` : ''}`;
}

/** Escape released the pinned cell. */
export const RELEASED = 'Released the pinned cell.';
