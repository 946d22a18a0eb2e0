// On the Overview: which of the counted services' figures are estimates (sampled HTTP spans) and which
// services send HTTP spans that cannot be judged yet, each with a link to /connect. Nothing is guessed
// silently (issue 8). Service names come from the network: clipped text.
import Link from 'next/link';
import { serviceMarksOf } from '../lib/capture-status';
import { CLIP } from '../lib/clip-text';
import type { ServiceChoices } from '../lib/page-data';
import { UNNARROWED, viewHref, type View } from '../lib/view-params';
import { Clipped } from './clipped';

/** Services named in a note; the rest are counted (all are listed on /connect). */
const NAMES_SHOWN = 5;

function Names({ services }: { readonly services: readonly string[] }) {
  const hidden = services.length - NAMES_SHOWN;
  return (
    <>
      {services.slice(0, NAMES_SHOWN).map((service, i) => (
        <span key={service}>
          {i === 0 ? '' : ', '}
          <Clipped className="service" text={service} max={CLIP.service} />
        </span>
      ))}
      {hidden > 0 ? ` and ${hidden} more` : null}
    </>
  );
}

export function CaptureNotes({ view, services }: { readonly view: View; readonly services: ServiceChoices }) {
  const inScope = view.service === undefined ? services.names : [view.service];
  const estimated = inScope.filter((service) =>
    serviceMarksOf(services.capture, service).includes('estimated'),
  );
  const notJudged = services.capture
    .filter((status) => status.capture === 'not_enough_data')
    .map((status) => status.service)
    .filter((service) => view.service === undefined || service === view.service);
  if (estimated.length === 0 && notJudged.length === 0) return null;
  const connect = viewHref('/connect', view, UNNARROWED);
  return (
    <ul className="capture-notes" aria-label="Capture notes">
      {estimated.length === 0 ? null : (
        <li data-note="estimated">
          <span className="badge badge-estimated">estimated</span> Counts of <Names services={estimated} />{' '}
          are estimates: their HTTP spans are sampled, and each counts as the requests it stands for.{' '}
          <Link href={connect}>Capture status</Link>
        </li>
      )}
      {notJudged.length === 0 ? null : (
        <li data-note="not_enough_data">
          <span className="badge badge-warn">not enough data</span> <Names services={notJudged} />{' '}
          {notJudged.length === 1 ? 'sends' : 'send'} HTTP spans without any captured CORS response header, so
          none of them is counted here. <Link href={connect}>Add the capture settings</Link>
        </li>
      )}
    </ul>
  );
}
