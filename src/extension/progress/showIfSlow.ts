// Progress that a fast run never flashes: the notification appears only once
// the work has taken a moment (most specs trace in milliseconds).

/** How long work runs before its progress shows. */
export const PROGRESS_DELAY_MS = 400;

/** Awaits `work`; if it is still running after `delayMs`, hands it to `show` (which shows progress until it settles). */
export async function showIfSlow<T>(work: Promise<T>, show: (work: Promise<T>) => PromiseLike<T>, delayMs = PROGRESS_DELAY_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<true>(resolve => { timer = setTimeout(() => resolve(true), delayMs); });
  const slow = await Promise.race([work.then(() => false, () => false), late]);
  clearTimeout(timer);
  return slow ? show(work) : work;
}
