// Mocha's browser build, set up before the suites are imported (they call describe/it as they load).

import 'mocha/mocha.js';
import type * as MochaNs from 'mocha';
import { summaryReporter } from '../support/summary';

type BrowserMocha = { setup(options: MochaNs.MochaOptions): void; grep(pattern: string): void; run(done: (failures: number) => void): void };
const { Mocha, mocha: browserMocha } = globalThis as unknown as { Mocha: typeof MochaNs; mocha: BrowserMocha };

browserMocha.setup({ ui: 'bdd', color: false, timeout: 60_000, reporter: summaryReporter(Mocha) });

export { browserMocha };
