// Every HTTP path a deployment file probes (the Dockerfile's HEALTHCHECK, compose's healthcheck, the
// Kubernetes probes) answers 200 on a real collector (embedded chDB in a temporary directory): a renamed
// route fails here, not in a cluster that restarts its pods forever.
import { describe, expect, it } from 'vitest';
import { useTempCollector } from '../collector/temp-collector.fixture.ts';
import {
  execForm,
  instructions,
  kustomize,
  parseDockerfile,
  readCompose,
  repoFile,
  stage,
} from './deploy-files.ts';

function pathsIn(text: string): string[] {
  return [...text.matchAll(/'\/(\w+)'|:\d+\/(\w+)'/g)].map((match) => `/${match[1] ?? match[2] ?? ''}`);
}

function probedPaths(): Map<string, string> {
  const paths = new Map<string, string>();
  const dockerfile = parseDockerfile(repoFile('Dockerfile'));
  for (const check of instructions(stage(dockerfile, 'collector'), 'HEALTHCHECK'))
    for (const path of pathsIn(execForm(check.rest).join(' '))) paths.set(`Dockerfile ${path}`, path);
  const compose = readCompose('deploy/compose/compose.yaml');
  for (const path of pathsIn((compose.services.collector?.healthcheck?.test ?? []).join(' ')))
    paths.set(`compose ${path}`, path);
  for (const variant of ['embedded', 'clickhouse-cluster']) {
    const text = JSON.stringify(kustomize(`deploy/kubernetes/${variant}`).objects);
    for (const match of text.matchAll(/"httpGet":\{"path":"([^"]+)"/g))
      paths.set(`${variant} ${match[1] ?? ''}`, match[1] ?? '');
  }
  return paths;
}

const collector = useTempCollector('probes', { CORSIGHT_ALERTS: 'off' });

describe('paths the deployment files probe', () => {
  const probed = probedPaths();

  it('include readiness and liveness', () => {
    expect(new Set(probed.values())).toEqual(new Set(['/healthz', '/readyz']));
    expect(probed.size).toBeGreaterThanOrEqual(6);
  });

  it.each([...probed])('%s answers 200 on a running collector', async (_where, path) => {
    const response = await fetch(`${collector().httpUrl}${path}`);
    expect(response.status).toBe(200);
  });

  it('a path the collector does not serve does not answer 200 (the check can fail)', async () => {
    const response = await fetch(`${collector().httpUrl}/healthcheck`);
    expect(response.status).toBe(404);
  });
});
