#!/usr/bin/env node
// The browser oracle suite needs Debian's chromium (Playwright cannot download browsers here). Installs it
// when it is missing and we are root with apt-get; otherwise says exactly what to do.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const executable = process.env.CORSIGHT_CHROMIUM ?? '/usr/bin/chromium';
if (existsSync(executable)) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!isRoot || !existsSync('/usr/bin/apt-get')) {
  console.error(
    `Chromium is missing at ${executable}. Install Debian's chromium as root (apt-get install -y chromium),\n` +
      'or point CORSIGHT_CHROMIUM at a Chromium binary, then run the tests again.',
  );
  process.exit(1);
}
console.log('Installing Debian chromium for the browser oracle suite (apt-get, about a minute)…');
const apt = (args) =>
  execFileSync('apt-get', args, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
apt(['update', '-qq']);
apt(['install', '-y', '-qq', '--no-install-recommends', 'chromium']);
