// How osbuild ends when Python raises: the Exit carrier, and the traceback an uncaught exception prints (exit 1).
export class Exit extends Error {
  constructor(code) {
    super(`exit ${code}`);
    this.code = code;
  }
}

export const out = (s) => process.stdout.write(s);
export const err = (s) => process.stderr.write(s);

// Uncaught Python exceptions end osbuild with a traceback on stderr and exit code 1.
export function pythonCrash(type, message) {
  err(
    'Traceback (most recent call last):\n' +
      '  File "<frozen runpy>", line 198, in _run_module_as_main\n' +
      '  File "/usr/lib/osbuild/osbuild/main_cli.py", line 187, in osbuild_cli\n' +
      `${type}: ${message}\n`,
  );
  throw new Exit(1);
}
