/**
 * Says on stderr, in the test run's output, what is skipped and which tool is missing: the default reporter shows a
 * skipped file only as a count.
 */
export function noteSkip(when: boolean, what: string, missing: string): boolean {
  if (when) process.stderr.write(`SKIPPED ${what}: ${missing}\n`);
  return when;
}

/**
 * The title of a test or suite that may be skipped, naming the missing tool when it is: the skip list at the end of
 * the run (test/support/skip-reporter.ts) prints titles, not what `noteSkip` wrote to stderr.
 */
export function skipTitle(skipped: boolean, title: string, missing: string): string {
  return skipped ? `${title} (skipped: ${missing})` : title;
}
