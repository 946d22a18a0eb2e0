// What every page loads besides its own data, and how a failed load becomes a message in the page.
import type { ServicesAnswer } from '@corsight/collector/api-types';
import { CollectorApiError, getApi } from './collector-api';
import { apiRange, type View } from './view-params';

export type Loaded<T> =
  { readonly ok: true; readonly data: T } | { readonly ok: false; readonly message: string };

/** Runs a page's loads; a CollectorApiError becomes its message, anything else propagates (error.tsx). */
export async function load<T>(run: () => Promise<T>): Promise<Loaded<T>> {
  try {
    return { ok: true, data: await run() };
  } catch (error) {
    if (error instanceof CollectorApiError) return { ok: false, message: error.message };
    throw error;
  }
}

/** Service names for the filter: those seen in the view's range, busiest first. */
export async function serviceNames(view: View, nowMs: number): Promise<string[]> {
  const answer = await getApi<ServicesAnswer>('/services', apiRange(view, nowMs)).catch(
    (error: unknown): ServicesAnswer | undefined => {
      // The page shows its own load error; the filter just offers no services then.
      if (error instanceof CollectorApiError) return undefined;
      throw error;
    },
  );
  return answer === undefined ? [] : answer.services.map((entry) => entry.service);
}
