// Time range, service and auto-refresh. Presets and the refresh toggle are links; the service and a custom
// range each have a GET form (works without JavaScript, and the result is a shareable URL) that carries the
// rest of the view along in hidden fields.
import Link from 'next/link';
import { RANGE_PRESET_NAMES, RANGE_PRESETS, viewHref, viewParams, type View } from '../lib/view-params';

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
  readonly services: readonly string[];
}

export function ViewControls({ path, view, services }: ViewControlsProps) {
  const knownService = view.service === undefined || services.includes(view.service);
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
            {knownService ? null : <option value={view.service}>{view.service}</option>}
            {services.map((service) => (
              <option key={service} value={service}>
                {service}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Filter</button>
      </form>
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
