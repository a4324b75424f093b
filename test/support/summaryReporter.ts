// Mocha's spec reporter with the `N passed, N failed` line, as a module mocha loads by path.

import * as Mocha from 'mocha';
import { summaryReporter } from './summary';

export = summaryReporter(Mocha);
