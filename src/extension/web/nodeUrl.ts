// Node's "url" for @vscode/debugadapter in the browser bundle: it only uses URL, which browsers have.
export const URL = globalThis.URL;
