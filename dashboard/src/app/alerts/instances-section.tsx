// Current alert instances, firing first: the rule, the key (origin linked to the Origins view over the
// instance's time), since when, the peak and the window's count against the threshold. A firing instance that
// a more specific alert for the same service and origin keeps from paging says which.
import type { AlertInstanceView, AlertRuleEntry } from '@corsight/collector/api-types';
import { Clipped } from '../../components/clipped';
import { EmptyState } from '../../components/notice';
import { sortHeaders } from '../../components/sort-header';
import { durationMs, formatElapsed, formatMoment, instanceRange } from '../../lib/alert-format';
import { formatCount } from '../../lib/format';
import { ALERT_INSTANCES_TABLE } from '../../lib/table-columns';
import { readSort, sortRows } from '../../lib/table-sort';
import type { View } from '../../lib/view-params';
import { KeyCell } from './key-cell';

export function InstancesSection({
  instances,
  rules,
  evaluating,
  view,
  nowMs,
}: {
  readonly instances: readonly AlertInstanceView[];
  readonly rules: readonly AlertRuleEntry[];
  readonly evaluating: boolean;
  readonly view: View;
  readonly nowMs: number;
}) {
  const windowOf = (ruleId: string) =>
    durationMs(rules.find((entry) => entry.id === ruleId)?.rule.window ?? '') ?? 300_000;
  const state = readSort(ALERT_INSTANCES_TABLE, view.sort, view.dir);
  const header = sortHeaders(ALERT_INSTANCES_TABLE, state, { path: '/alerts', view });
  const ordered = sortRows(instances, ALERT_INSTANCES_TABLE, state);
  return (
    <section aria-labelledby="alert-instances">
      <h2 id="alert-instances">Firing and pending</h2>
      {evaluating ? null : (
        <p className="muted">
          This collector does not evaluate alerts (CORSIGHT_ALERTS=off): the state below is what the
          evaluating collector last recorded.
        </p>
      )}
      {ordered.length === 0 ? (
        <EmptyState>No alert is firing or pending.</EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="alert-instances">
            <thead>
              <tr>
                {header('instanceRule')}
                {header('instanceState')}
                <th scope="col">Key</th>
                {header('since')}
                {header('peak')}
                <th scope="col" className="num">
                  Now / threshold
                </th>
                <th scope="col">Top reasons</th>
              </tr>
            </thead>
            <tbody>
              {ordered.map((instance) => {
                const since = instance.firingSince ?? instance.activeSince;
                return (
                  <tr
                    key={`${instance.ruleId}\u0000${instance.id}`}
                    data-rule={instance.ruleId}
                    data-state={instance.state}
                    data-origin={instance.key.origin}
                  >
                    <th scope="row">
                      <Clipped text={instance.ruleName} max={60} />
                    </th>
                    <td>
                      <span className={`state state-${instance.state}`}>{instance.state}</span>
                      {instance.inhibitedBy === null ? null : (
                        <p className="inhibited muted" data-inhibited-by={instance.inhibitedBy.ruleId}>
                          not paged: inhibited by <Clipped text={instance.inhibitedBy.ruleName} max={60} />
                        </p>
                      )}
                    </td>
                    <td>
                      <KeyCell
                        groupKey={instance.key}
                        view={view}
                        range={instanceRange(instance.activeSince, windowOf(instance.ruleId), null)}
                      />
                    </td>
                    <td data-col="since">
                      {formatMoment(since, nowMs)} ({formatElapsed(nowMs - since)})
                    </td>
                    <td className="num" data-col="peak">
                      {formatCount(instance.peak)}
                    </td>
                    <td className="num">
                      {formatCount(instance.value)} / {formatCount(instance.threshold)}
                    </td>
                    <td>
                      <ul className="breakdown" aria-label="Reasons">
                        {instance.topReasons.map((reason) => (
                          <li key={reason.code}>
                            <code>{reason.code}</code> {formatCount(reason.requests)}
                          </li>
                        ))}
                      </ul>
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
