// The history in the view's range, newest first: state changes, notifications (sent, silenced or inhibited)
// and each delivery with its result (attempts, the last error).
import type { AlertEventView, AlertRuleEntry } from '@corsight/collector/api-types';
import { Clipped } from '../../components/clipped';
import { EmptyState } from '../../components/notice';
import { deliveryText, durationMs, eventText, formatMoment, instanceRange } from '../../lib/alert-format';
import { formatCount } from '../../lib/format';
import type { View } from '../../lib/view-params';
import { KeyCell } from './key-cell';

export const HISTORY_LIMIT = 200;

export function HistorySection({
  events,
  rules,
  view,
  nowMs,
}: {
  readonly events: readonly AlertEventView[];
  readonly rules: readonly AlertRuleEntry[];
  readonly view: View;
  readonly nowMs: number;
}) {
  const nameOf = (ruleId: string) => rules.find((entry) => entry.id === ruleId)?.name ?? ruleId;
  const windowOf = (ruleId: string) =>
    durationMs(rules.find((entry) => entry.id === ruleId)?.rule.window ?? '') ?? 300_000;
  return (
    <section aria-labelledby="alert-history">
      <h2 id="alert-history">History</h2>
      {events.length === 0 ? (
        <EmptyState>No alert changed state or sent a notification in this range.</EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="alert-history">
            <caption>
              Newest first{events.length >= HISTORY_LIMIT ? `, the latest ${HISTORY_LIMIT}` : ''}
            </caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Rule</th>
                <th scope="col">Event</th>
                <th scope="col">Key</th>
                <th scope="col" className="num">
                  Blocked in window
                </th>
                <th scope="col">Delivery</th>
              </tr>
            </thead>
            <tbody>
              {events.map((event, index) => {
                const delivery = deliveryText(event);
                return (
                  <tr
                    // Rows have no id of their own; time, rule, instance and kind are unique but for a
                    // delivery to several channels, which the channel separates.
                    key={`${event.at}:${event.ruleId}:${event.instanceId}:${event.event}:${event.channelId ?? ''}:${index}`}
                    data-event={event.event}
                    data-rule={event.ruleId}
                  >
                    <td>{formatMoment(event.at, nowMs)}</td>
                    <th scope="row">
                      <Clipped text={nameOf(event.ruleId)} max={48} />
                    </th>
                    <td>{eventText(event, nameOf)}</td>
                    <td>
                      <KeyCell
                        groupKey={event.key}
                        view={view}
                        range={instanceRange(event.at, windowOf(event.ruleId), event.at)}
                      />
                    </td>
                    <td className="num">{formatCount(event.blocked)}</td>
                    <td data-col="delivery">
                      {delivery === undefined ? null : (
                        <span className={event.deliveryOk === true ? 'tone-good' : 'tone-bad'}>
                          {event.channelId === null ? null : <code>{event.channelId}</code>} {delivery}
                        </span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
