// What the accessibility layer says (names for screen readers, live announcements,
// key hints), in the panel's language: the words are in the catalog (src/l10n).

import { text } from './l10n';

/** The live line for the cell the keyboard cursor is on. */
export function cellAnnouncement(cell: { tensor: string; index: readonly number[]; value: string | undefined; meaning: string; pinned?: boolean }): string {
  const t = text();
  const value = cell.value === undefined ? t.cellLoading : cell.value;
  const pinned = cell.pinned === undefined ? '' : cell.pinned ? t.cellPinned : t.cellReleased;
  return `${pinned}${cell.tensor}[${cell.index.join(', ')}] = ${value}${cell.meaning ? `. ${cell.meaning}` : ''}`;
}
