// Whether the dashboard needs `next build`: its build is missing or older than a source it is built from.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Paths relative to the repository root whose changes invalidate the dashboard build. */
export const DASHBOARD_SOURCES = [
  'dashboard/src',
  'dashboard/package.json',
  'dashboard/next.config.ts',
  'dashboard/tsconfig.json',
  // The dashboard imports the query API's answer types from the collector.
  'collector/src/query/api-types.ts',
];
export const DASHBOARD_BUILD_ID = 'dashboard/.next/BUILD_ID';

/** Newest modification time under `path` (0 when it does not exist). */
export function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

export type BuildState = 'missing' | 'stale' | 'fresh';

export function dashboardBuildState(root: string): BuildState {
  const buildId = join(root, DASHBOARD_BUILD_ID);
  if (!existsSync(buildId)) return 'missing';
  const built = statSync(buildId).mtimeMs;
  return DASHBOARD_SOURCES.some((source) => newestMtime(join(root, source)) > built) ? 'stale' : 'fresh';
}
