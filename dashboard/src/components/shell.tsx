// The frame of every page: navigation (links keep the view's range and service), the view controls and
// the page's content. Server-rendered; the controls work as plain links and a GET form, so every state
// change is a URL.
import Link from 'next/link';
import type { ReactNode } from 'react';
import type { ServiceChoices } from '../lib/page-data';
import { CLIP } from '../lib/clip-text';
import {
  DEFAULT_RANGE,
  RANGE_PRESET_NAMES,
  RANGE_PRESETS,
  UNNARROWED,
  viewHref,
  type View,
} from '../lib/view-params';
import { AutoRefresh } from './auto-refresh';
import { Clipped } from './clipped';
import { ViewControls } from './view-controls';

export const PAGES = [
  { path: '/', label: 'Overview' },
  { path: '/origins', label: 'Origins' },
  { path: '/routes', label: 'Routes' },
  { path: '/mismatches', label: 'Mismatches' },
  { path: '/policy', label: 'Policy' },
  { path: '/alerts', label: 'Alerts' },
  { path: '/connect', label: 'Connect a service' },
] as const;
export type PagePath = (typeof PAGES)[number]['path'];

export interface ShellProps {
  readonly path: PagePath;
  readonly title: string;
  readonly view: View;
  readonly services: ServiceChoices;
  /** Whether the range and service controls apply to the page (not to /connect: its status has no range). */
  readonly controls?: boolean;
  readonly children: ReactNode;
}

export function Shell({ path, title, view, services, controls = true, children }: ShellProps) {
  return (
    <>
      <a className="skip-link" href="#content">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Corsight</span>
        <nav aria-label="Pages">
          <ul>
            {PAGES.map((page) => (
              <li key={page.path}>
                <Link
                  href={viewHref(page.path, view, UNNARROWED)}
                  aria-current={page.path === path ? 'page' : undefined}
                >
                  {page.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      {controls ? <ViewControls path={path} view={view} services={services} /> : null}
      <AutoRefresh enabled={view.refresh} />
      <main id="content" tabIndex={-1}>
        <h1>{title}</h1>
        {view.unknownRange === undefined ? null : (
          <p className="notice" role="status" data-notice="unknown-range">
            The range <Clipped text={view.unknownRange} max={CLIP.route} /> is not one of{' '}
            {RANGE_PRESET_NAMES.join(', ')}: showing {RANGE_PRESETS[DEFAULT_RANGE].label.toLowerCase()}.
          </p>
        )}
        {children}
      </main>
    </>
  );
}
