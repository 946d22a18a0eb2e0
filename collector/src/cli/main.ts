#!/usr/bin/env -S UV_THREADPOOL_SIZE=16 node --max-semi-space-size=64 --no-concurrent-recompilation
// The `corsight` executable. Sets process.exitCode rather than calling process.exit so piped output is
// flushed before the process ends.
import { runCli } from './program.js';

// A reader that stops early (`corsight check … | head`) closes the pipe: the rest of the report has nowhere
// to go, and the exit status should still be the verdict's rather than a crash.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

// The first SIGINT/SIGTERM asks long-running commands (`corsight start`) to stop cleanly; a second one
// ends the process at once.
const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stop.signal.aborted) process.exit(130);
    stop.abort();
  });
}

process.exitCode = await runCli(
  process.argv.slice(2),
  {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  },
  { env: process.env, stop: stop.signal },
);
