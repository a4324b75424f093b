// The command line's options as both forms of conv-trace read them: `--flag value` or `--flag=value`, and
// positive integers checked with the flag named.

/** Each argument with its flag (the part before '=') and its value, read on demand (the next argument, or after '='). */
export function* cliArguments(argv: readonly string[], fail: (message: string) => never): Generator<{ arg: string; flag: string; value: () => string }> {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) fail(`${flag} needs a value`);
      return v;
    };
    yield { arg, flag, value };
  }
}

export function positiveIntArg(flag: string, value: string | undefined, fail: (message: string) => never): number {
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n) || n < 1) fail(`${flag} needs a positive integer, got ${value ?? 'nothing'}`);
  return n;
}
