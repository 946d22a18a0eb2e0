// Prints one closing line CI can read, `tests: N passed, N failed[, N skipped]`: vitest's own summary is
// not a line CI parses. A test file that fails to load, and an unhandled error, count as failures.
import type { Reporter, TestModule } from 'vitest/node';

export default class TallyReporter implements Reporter {
  onTestRunEnd(testModules: readonly TestModule[], unhandledErrors: readonly unknown[]): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const testModule of testModules) {
      let tests = 0;
      for (const testCase of testModule.children.allTests()) {
        tests++;
        const state = testCase.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      if (tests === 0 && testModule.state() === 'failed') failed++;
    }
    const skippedText = skipped > 0 ? `, ${skipped} skipped` : '';
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed${skippedText}\n`);
  }
}
