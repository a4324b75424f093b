// F5's spec, read and traced as soon as VS Code has its final configuration: VS Code makes the adapter and sends the
// launch request 50–150 ms later, and the launch takes the load already under way instead of starting its own.
// No vscode here: the unit tests drive it.

/** How long a load begun early waits for its launch; a session that never comes lets it go. */
export const EARLY_LOAD_KEPT_MS = 3000;

export class EarlyLoad<T> {
  private pending: { key: string; load: Promise<T>; begun: number; expiry: ReturnType<typeof setTimeout> } | undefined;

  constructor(private readonly keptMs = EARLY_LOAD_KEPT_MS) {}

  /** Begins `load` for a launch that will ask for `key` (the one begun before, if any, is let go). */
  begin(key: string, load: () => Promise<T>): void {
    this.forget();
    const promise = load();
    // Its failure is the launch's to report, when it takes it; unheard if it never does.
    promise.catch(() => undefined);
    const expiry = setTimeout(() => this.forget(), this.keptMs);
    (expiry as { unref?: () => void }).unref?.();
    this.pending = { key, load: promise, begun: Date.now(), expiry };
  }

  /** The load begun for `key`, once, with when it began; undefined when none was (or another key's). */
  take(key: string): { load: Promise<T>; begun: number } | undefined {
    const p = this.pending;
    if (!p || p.key !== key) return undefined;
    this.forget();
    return { load: p.load, begun: p.begun };
  }

  /** Lets the load begun go (a file may have changed since it read them). */
  forget(): void {
    if (this.pending) clearTimeout(this.pending.expiry);
    this.pending = undefined;
  }
}
