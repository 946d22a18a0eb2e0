// How the dashboard speaks about a service's HTTP-span capture status (issue 8): the status in words, and
// the marks a service carries wherever services are listed (its counts are estimated from sampled spans, or
// its spans cannot be judged yet). Pure.
import type { ServiceCapture, ServiceCaptureStatus } from '@corsight/collector/api-types';
import { clipText } from './clip-text';

export function captureStatusText(capture: ServiceCapture): string {
  switch (capture) {
    case 'captured':
      return 'judged from HTTP spans';
    case 'not_enough_data':
      return 'not enough data: no CORS response header captured yet — add the settings below';
    case 'corsight':
      return 'counted from Corsight’s own spans (its HTTP spans are not counted twice)';
    default: {
      const unknown: never = capture;
      return String(unknown);
    }
  }
}

export type ServiceMark = 'estimated' | 'not_enough_data';

export const MARK_LABEL: Readonly<Record<ServiceMark, string>> = {
  estimated: 'estimated (sampled)',
  not_enough_data: 'not enough data',
};

export function marksOf(status: ServiceCaptureStatus): ServiceMark[] {
  const marks: ServiceMark[] = [];
  if (status.capture === 'not_enough_data') marks.push('not_enough_data');
  if (status.estimated) marks.push('estimated');
  return marks;
}

/** Services that carry at least one mark, in the answer's order (by name). */
export function markedServices(
  statuses: readonly ServiceCaptureStatus[],
): { readonly service: string; readonly marks: readonly ServiceMark[] }[] {
  return statuses.flatMap((status) => {
    const marks = marksOf(status);
    return marks.length === 0 ? [] : [{ service: status.service, marks }];
  });
}

/** The marks of one service; none when the collector has no capture status for it. */
export function serviceMarksOf(
  statuses: readonly ServiceCaptureStatus[],
  service: string,
): readonly ServiceMark[] {
  const status = statuses.find((entry) => entry.service === service);
  return status === undefined ? [] : marksOf(status);
}

/** A service filter option's text: the (clipped) name and its marks. */
export function serviceOptionLabel(service: string, marks: readonly ServiceMark[], max: number): string {
  const name = clipText(service, max);
  return marks.length === 0 ? name : `${name} — ${marks.map((mark) => MARK_LABEL[mark]).join(', ')}`;
}
