// The user setting that carries CVD_GREP into the web-worker extension host, which has no environment.
export const WEB_GREP_SETTING = 'convVisualDebuggerTests.grep';
