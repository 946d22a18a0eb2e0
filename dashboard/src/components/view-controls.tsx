// Time range, service and auto-refresh. Presets and the refresh toggle are links; service and a custom
// range go through a GET form (works without JavaScript, and the result is a shareable URL).
import Link from 'next/link';
import { RANGE_PRESET_NAMES, RANGE_PRESETS, viewHref, type View } from '../lib/view-params';

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
      <form method="get" action={path} className="filters">
        {view.range === 'custom' ? null : <input type="hidden" name="range" value={view.range} />}
        {view.origin === undefined ? null : <input type="hidden" name="origin" value={view.origin} />}
        {view.refresh ? <input type="hidden" name="refresh" value="1" /> : null}
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
        <label>
          From (UTC)
          <input type="datetime-local" name="from" defaultValue={view.from ?? ''} />
        </label>
        <label>
          To (UTC)
          <input type="datetime-local" name="to" defaultValue={view.to ?? ''} />
        </label>
        <button type="submit">Apply</button>
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
