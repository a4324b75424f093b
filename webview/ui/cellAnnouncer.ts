// What the keyboard cursor is on, said politely: tensor, index, value at the
// panel's precision, and what the cell means; a value still on its way is said
// again once its tile arrives.

import type { LinkTarget } from '../../src/engine/links';
import { cellMeaning } from '../../src/format/explain';
import { formatNumber } from '../../src/format/text';
import { cellAnnouncement } from '../a11yText';
import type { TraceModel } from '../model';
import { Announcer } from './a11y';

export class CellAnnouncer extends Announcer {
  private current: LinkTarget | undefined;

  /** Says the cell; `pinned` (after Enter) says whether it is now pinned. */
  announce(model: TraceModel, precision: number, target: LinkTarget, pinned?: boolean): void {
    this.current = target;
    const value = model.value(target);
    this.say(cellAnnouncement({
      tensor: target.tensor,
      index: target.index,
      value: value === undefined ? undefined : formatNumber(value, precision),
      meaning: cellMeaning(model.geometry, target.tensor, target.index),
      pinned,
    }));
    if (value !== undefined) return;
    const off = model.store(target.tensor).onChange(() => {
      off();
      if (this.current === target && model.value(target) !== undefined) this.announce(model, precision, target, pinned);
    });
  }

  /** Stops a pending re-announcement (the cursor left). */
  forget(): void {
    this.current = undefined;
  }
}
