/**
 * The default reporter, plus the list of skipped tests at the end of the run with their full names: a skip's title says
 * which tool is missing, and the default output would show skipped tests only as a count.
 */
import type { SerializedError } from 'vitest';
import { DefaultReporter, type TestModule, type TestRunEndReason } from 'vitest/node';

export default class SkipListingReporter extends DefaultReporter {
  override onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>, reason: TestRunEndReason): void {
    super.onTestRunEnd(testModules, unhandledErrors, reason);
    // Grouped by suite: a suite skipped for a missing tool is one line with its count, not a line per test.
    const groups = new Map<string, string[]>();
    for (const module of testModules) {
      const file = module.moduleId.replace(`${process.cwd()}/`, '');
      for (const test of module.children.allTests()) {
        if (test.result().state !== 'skipped') continue;
        const suite = test.parent.type === 'suite' ? `${file} > ${test.parent.fullName}` : file;
        groups.set(suite, [...(groups.get(suite) ?? []), test.name]);
      }
    }
    if (groups.size === 0) return;
    const total = [...groups.values()].reduce((n, names) => n + names.length, 0);
    const lines = ['', `Skipped tests (${total}); each title names what is missing:`];
    for (const [suite, names] of groups) {
      if (names.length > 3) lines.push(`  ↓ ${suite} (${names.length} tests)`);
      else for (const name of names) lines.push(`  ↓ ${suite} > ${name}`);
    }
    process.stdout.write(`${lines.join('\n')}\n\n`);
  }
}
