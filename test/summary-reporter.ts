import type { Reporter, TestModule } from 'vitest/node';

/** Ends a run with one plain line, `tests: N passed, N failed, N skipped`, that any CI can read. */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0, pending: 0 };
    for (const module of modules) {
      for (const test of module.children.allTests()) counts[test.result().state] += 1;
    }
    const failedModules = modules.filter((m) => m.state() === 'failed' && !m.ok()).length;
    process.stdout.write(
      `\ntests: ${counts.passed} passed, ${counts.failed + failedModules} failed, ${counts.skipped + counts.pending} skipped\n`,
    );
  }
}
