// The conv debug adapter as its own process, speaking DAP on stdin/stdout
// (tests drive it with @vscode/debugadapter-testsupport's DebugClient).

import { nodeSpecFiles } from '../specReader/nodeSpecFiles';
import { loadSpec } from './loadSpec';
import { ConvDebugSession } from './session';

const session = new ConvDebugSession({ load: (spec, options) => loadSpec(spec, nodeSpecFiles, options) });
process.on('SIGTERM', () => session.shutdown());
session.start(process.stdin, process.stdout);
