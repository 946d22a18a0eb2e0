// The `corsight` scripts of both manifests start node themselves, so each must pass the collector's flags
// (the shebang and the container image are checked in test/deploy/dockerfile.test.ts).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COLLECTOR_NODE_FLAGS } from './node-flags.js';

const MANIFESTS = [
  fileURLToPath(new URL('../../../package.json', import.meta.url)),
  fileURLToPath(new URL('../../package.json', import.meta.url)),
];

describe('COLLECTOR_NODE_FLAGS', () => {
  it.each(MANIFESTS)('are what the `corsight` script of %s gives node', (manifest) => {
    const { scripts } = JSON.parse(readFileSync(manifest, 'utf8')) as { scripts: Record<string, string> };
    const words = (scripts.corsight ?? '').split(' ');
    const node = words.indexOf('node');
    expect(node, scripts.corsight).toBeGreaterThanOrEqual(0);
    expect(words.slice(node + 1, words.indexOf('--import'))).toEqual(COLLECTOR_NODE_FLAGS);
  });
});
