// What every page loads besides its own data, and how a failed load becomes a message in the page.
import type {
  CaptureStatusAnswer,
  ServiceCaptureStatus,
  ServicesAnswer,
} from '@corsight/collector/api-types';
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

/** What the service filter offers, and how each service is captured. */
export interface ServiceChoices {
  /** Services with traffic in the view's range, busiest first. */
  readonly names: readonly string[];
  /** HTTP-span capture status per service (since the collector started); empty when unavailable. */
  readonly capture: readonly ServiceCaptureStatus[];
}

/** An answer the page can do without: a CollectorApiError becomes undefined (the page shows its own). */
async function optional<T>(answer: Promise<T>): Promise<T | undefined> {
  return answer.catch((error: unknown): undefined => {
    if (error instanceof CollectorApiError) return undefined;
    throw error;
  });
}

/** The capture status answer (GET /services/capture). */
export function captureStatus(): Promise<CaptureStatusAnswer> {
  return getApi<CaptureStatusAnswer>('/services/capture');
}

/** Service names for the filter (those seen in the view's range, busiest first) and their capture status. */
export async function serviceChoices(view: View, nowMs: number): Promise<ServiceChoices> {
  const [services, capture] = await Promise.all([
    optional(getApi<ServicesAnswer>('/services', apiRange(view, nowMs))),
    optional(captureStatus()),
  ]);
  return {
    names: services === undefined ? [] : services.services.map((entry) => entry.service),
    capture: capture === undefined ? [] : capture.services,
  };
}
