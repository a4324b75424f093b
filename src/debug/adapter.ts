// The conv debug adapter as its own process, speaking DAP on stdin/stdout
// (tests drive it with @vscode/debugadapter-testsupport's DebugClient).

import { installNodeGemmThreads } from '../specReader/nodeGemmThreads';
import { nodeSpecFiles } from '../specReader/nodeSpecFiles';
import { loadSpec } from './loadSpec';
import { ConvDebugSession } from './session';

// Big products on every core (helper threads that end with the process).
installNodeGemmThreads();
const session = new ConvDebugSession({ load: (spec, options) => loadSpec(spec, nodeSpecFiles, options) });
process.on('SIGTERM', () => session.shutdown());
session.start(process.stdin, process.stdout);
