// The few `process` members the npm "assert" package reads (to word a failure); injected into
// the web suite's bundle only, so the host's global scope keeps having no `process`.
export const process = { env: {}, stderr: undefined, emitWarning: undefined, nextTick: (fn: () => void) => setTimeout(fn, 0) };
