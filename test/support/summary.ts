// The plain `N passed, N failed` line CI reads, closing mocha's spec reporter:
// one reporter for the Node runs and the browser (web-worker host) run.

import type * as Mocha from 'mocha';

export function summaryLine(stats: Mocha.Stats | undefined): string {
  const skipped = stats?.pending ? `, ${stats.pending} skipped` : '';
  return `${stats?.passes ?? 0} passed, ${stats?.failures ?? 0} failed${skipped}`;
}

/** The reporter class for a Mocha namespace (Node's module, or the browser build's global). */
export function summaryReporter(mocha: typeof Mocha): typeof Mocha.reporters.Spec {
  return class SummaryReporter extends mocha.reporters.Spec {
    constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
      super(runner, options);
      // Registered after the spec reporter's epilogue, so printed after it; at once, since the
      // extension host may exit as soon as the run ends.
      runner.once(mocha.Runner.constants.EVENT_RUN_END, () => console.log(summaryLine(runner.stats)));
    }
  };
}
