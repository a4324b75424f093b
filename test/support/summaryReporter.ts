// Mocha's spec reporter, closing with the plain `N passed, N failed` line CI reads.

import * as Mocha from 'mocha';

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const s = runner.stats;
      const skipped = s?.pending ? `, ${s.pending} skipped` : '';
      // After the spec reporter's own epilogue.
      process.nextTick(() => console.log(`${s?.passes ?? 0} passed, ${s?.failures ?? 0} failed${skipped}`));
    });
  }
}

export = SummaryReporter;
