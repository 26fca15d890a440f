/**
 * Says on stderr, in the test run's output, what is skipped and which tool is missing: the default reporter shows a
 * skipped file only as a count.
 */
export function noteSkip(when: boolean, what: string, missing: string): boolean {
  if (when) process.stderr.write(`SKIPPED ${what}: ${missing}\n`);
  return when;
}
