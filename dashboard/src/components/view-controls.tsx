// Time range, service and auto-refresh. Presets and the refresh toggle are links; the service and a custom
// range each have a GET form (works without JavaScript, and the result is a shareable URL) that carries the
// rest of the view along in hidden fields. Services whose counts are estimated (sampled HTTP spans) or whose
// HTTP spans cannot be judged yet are marked in the filter and beside it, linking to /connect.
import Link from 'next/link';
import { markedServices, serviceMarksOf, serviceOptionLabel, MARK_LABEL } from '../lib/capture-status';
import { CLIP } from '../lib/clip-text';
import type { ServiceChoices } from '../lib/page-data';
import {
  RANGE_PRESET_NAMES,
  RANGE_PRESETS,
  UNNARROWED,
  viewHref,
  viewParams,
  type View,
} from '../lib/view-params';
import { Clipped } from './clipped';

/** The rest of the view as hidden fields, so a form changes one thing and keeps the others. */
function HiddenView({ view, omit }: { readonly view: View; readonly omit: readonly string[] }) {
  const fields = [...viewParams(view).entries()].filter(([name]) => !omit.includes(name));
  return (
    <>
      {fields.map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
    </>
  );
}

export interface ViewControlsProps {
  readonly path: string;
  readonly view: View;
  readonly services: ServiceChoices;
}

/** How many marked services are named beside the filter; the rest are counted, all are on /connect. */
const MARKS_SHOWN = 4;

function ServiceMarks({ view, services }: { readonly view: View; readonly services: ServiceChoices }) {
  const marked = markedServices(services.capture);
  if (marked.length === 0) return null;
  const href = viewHref('/connect', view, UNNARROWED);
  const hidden = marked.length - MARKS_SHOWN;
  return (
    <ul className="service-marks" aria-label="Services to check">
      {marked.slice(0, MARKS_SHOWN).map(({ service, marks }) => (
        <li key={service} data-service={service}>
          <Link href={href} className="badge badge-link" data-marks={marks.join(' ')}>
            <Clipped text={service} max={CLIP.service} />: {marks.map((mark) => MARK_LABEL[mark]).join(', ')}
          </Link>
        </li>
      ))}
      {hidden > 0 ? (
        <li>
          <Link href={href} className="badge badge-link">
            {hidden} more
          </Link>
        </li>
      ) : null}
    </ul>
  );
}

export function ViewControls({ path, view, services: choices }: ViewControlsProps) {
  const services = choices.names;
  // A service from the URL that has no traffic in the range still shows as selected.
  const unlisted = view.service !== undefined && !services.includes(view.service) ? view.service : undefined;
  const label = (service: string) =>
    serviceOptionLabel(service, serviceMarksOf(choices.capture, service), CLIP.service);
  return (
    <section className="controls" aria-label="View">
      <ul className="presets" aria-label="Time range">
        {RANGE_PRESET_NAMES.map((name) => (
          <li key={name}>
            <Link
              href={viewHref(path, view, { range: name })}
              aria-current={view.range === name ? 'true' : undefined}
            >
              {RANGE_PRESETS[name].label}
            </Link>
          </li>
        ))}
      </ul>
      <form method="get" action={path} className="filters" aria-label="Service">
        <HiddenView view={view} omit={['service']} />
        <label>
          Service
          <select name="service" defaultValue={view.service ?? ''}>
            <option value="">All services</option>
            {unlisted === undefined ? null : (
              <option value={unlisted} title={unlisted}>
                {label(unlisted)}
              </option>
            )}
            {services.map((service) => (
              <option key={service} value={service} title={service}>
                {label(service)}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Filter</button>
      </form>
      <ServiceMarks view={view} services={choices} />
      <form method="get" action={path} className="filters" aria-label="Custom range">
        <HiddenView view={view} omit={['range', 'from', 'to']} />
        <label>
          From (UTC)
          <input type="datetime-local" name="from" defaultValue={view.from ?? ''} />
        </label>
        <label>
          To (UTC)
          <input type="datetime-local" name="to" defaultValue={view.to ?? ''} />
        </label>
        <button type="submit">Apply range</button>
      </form>
      <Link
        className="refresh-toggle"
        href={viewHref(path, view, { refresh: view.refresh ? undefined : '1' })}
        data-on={view.refresh}
      >
        Auto-refresh: {view.refresh ? 'on' : 'off'}
      </Link>
    </section>
  );
}
