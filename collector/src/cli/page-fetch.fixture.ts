// The page fetch() most CLI tests start from: a GET from http://localhost:3000 without credentials.
import type { PageFetch } from './browser-request.js';

export const PAGE = 'http://localhost:3000';

export function pageFetchTo(url: string, overrides: Partial<PageFetch> = {}): PageFetch {
  return {
    url,
    method: 'GET',
    headers: [],
    origin: PAGE,
    taintedOrigin: false,
    credentials: 'omit',
    ...overrides,
  };
}
