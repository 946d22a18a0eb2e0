// The rules with their state, what they watch and a sparkline of their signal. The alerting API serves no
// per-rule series, so the sparkline is the blocked volume of the rule's filter from the query API (absent
// when the filter is a glob: the query API filters on exact values).
import type { AlertRuleEntry, AlertRulesAnswer, AlertRuleView } from '@corsight/collector/api-types';
import Link from 'next/link';
import { ActionForm } from '../../components/action-form';
import { Clipped } from '../../components/clipped';
import { EmptyState } from '../../components/notice';
import { sortHeaders } from '../../components/sort-header';
import { Sparkline } from '../../components/sparkline';
import { filterParts } from '../../lib/alert-format';
import { ALERT_KIND_LABELS, alertsHref } from '../../lib/alert-rule-form';
import { CLIP } from '../../lib/clip-text';
import { formatShare } from '../../lib/format';
import { ALERT_RULES_TABLE } from '../../lib/table-columns';
import { readSort, sortRows } from '../../lib/table-sort';
import type { View } from '../../lib/view-params';
import { deleteRule, testChannel } from './actions';

function kindParameters(rule: AlertRuleView): string {
  switch (rule.kind) {
    case 'rejected_spike':
      return `over ${rule.factor}× the ${rule.baseline} baseline`;
    case 'new_rejected_origin':
    case 'newly_blocked_origin':
      return `lookback ${rule.lookback}`;
    case 'blocked_ratio':
      return `at least ${formatShare(rule.ratio)} blocked`;
    default:
      return '';
  }
}

/** The rules file's notification channels, each with a button that sends a test notification. */
export function ChannelsList({ channels }: { readonly channels: AlertRulesAnswer['channels'] }) {
  return (
    <section aria-labelledby="alert-channels">
      <h2 id="alert-channels">Channels</h2>
      {channels.length === 0 ? (
        <EmptyState>
          No notification channel is configured: channels (webhook, Slack, Alertmanager) are set in the
          collector&apos;s rules file (CORSIGHT_ALERT_RULES).
        </EmptyState>
      ) : (
        <ul className="alert-channels">
          {channels.map((channel) => (
            <li key={channel.id} data-channel={channel.id}>
              <code>{channel.id}</code> <span className="muted">({channel.type})</span>
              <ActionForm
                action={testChannel}
                label="Send a test notification"
                pendingLabel="Sending…"
                className="inline-form"
              >
                <input type="hidden" name="channel" value={channel.id} />
              </ActionForm>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function RulesSection({
  rules,
  invalid,
  sparklines,
  view,
  back,
}: {
  readonly rules: readonly AlertRuleEntry[];
  readonly invalid: readonly { readonly id: string; readonly problems: readonly string[] }[];
  /** Blocked per step for each rule id; absent when the rule's filter has no exact query. */
  readonly sparklines: ReadonlyMap<string, readonly number[]>;
  readonly view: View;
  /** This page's URL, where a change returns to. */
  readonly back: string;
}) {
  const state = readSort(ALERT_RULES_TABLE, view.sort, view.dir);
  const header = sortHeaders(ALERT_RULES_TABLE, state, { path: '/alerts', view });
  return (
    <section aria-labelledby="alert-rules">
      <h2 id="alert-rules">Rules</h2>
      {invalid.length === 0 ? null : (
        <div className="notice notice-error" role="alert">
          Saved rules the collector skips because they no longer validate:{' '}
          {invalid.map((rule) => (
            <span key={rule.id}>
              <code>{rule.id}</code>: {rule.problems.join('; ')}{' '}
            </span>
          ))}
        </div>
      )}
      {rules.length === 0 ? (
        <EmptyState>
          No alert rules. Add one with the form below, or in the collector&apos;s rules file.
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="alert-rules">
            <thead>
              <tr>
                {header('rule')}
                {header('ruleState')}
                {header('ruleKind')}
                <th scope="col">Filter</th>
                <th scope="col">Per</th>
                <th scope="col">Window, for, repeat</th>
                <th scope="col">Blocked in range</th>
                {header('ruleSource')}
                <th scope="col">Change</th>
              </tr>
            </thead>
            <tbody>
              {sortRows(rules, ALERT_RULES_TABLE, state).map((entry) => {
                const filter = filterParts(entry.rule.filter);
                const series = sparklines.get(entry.id);
                return (
                  <tr key={entry.id} data-rule={entry.id} data-state={entry.state}>
                    <th scope="row">
                      <Clipped className="rule-name" text={entry.name} max={60} />
                      <br />
                      <Clipped className="muted" text={entry.id} max={64} />
                    </th>
                    <td data-col="state">
                      <span className={`state state-${entry.state}`}>{entry.state}</span>
                      {entry.instances.firing + entry.instances.pending > 0 ? (
                        <span className="muted">
                          {' '}
                          {entry.instances.firing} firing, {entry.instances.pending} pending
                        </span>
                      ) : null}
                    </td>
                    <td>
                      <span title={ALERT_KIND_LABELS[entry.kind]}>{entry.kind}</span>
                      <br />
                      <span className="muted">
                        {kindParameters(entry.rule)}, at least {entry.rule.minCount}
                      </span>
                    </td>
                    <td data-col="filter">
                      {filter.length === 0 ? (
                        <span className="muted">all traffic</span>
                      ) : (
                        <ul className="breakdown">
                          {filter.map((part) => (
                            <li key={part.field}>
                              {part.field} <Clipped text={part.value} max={CLIP.origin} />
                            </li>
                          ))}
                        </ul>
                      )}
                    </td>
                    <td>{entry.rule.groupBy.length === 0 ? 'rule' : entry.rule.groupBy.join(', ')}</td>
                    <td>
                      {entry.rule.window}, {entry.rule.for}, {entry.rule.repeat}
                    </td>
                    <td>
                      {series === undefined ? (
                        <span className="muted">filter is a pattern</span>
                      ) : (
                        <Sparkline values={series} label={`Blocked requests matching ${entry.name}`} />
                      )}
                    </td>
                    <td>{entry.source}</td>
                    <td className="rule-actions">
                      <Link href={`${alertsHref(view, [['edit', entry.id]])}#rule-form`}>
                        {entry.source === 'api' ? 'Edit' : 'Copy'}
                      </Link>
                      {entry.source === 'api' ? (
                        <ActionForm
                          action={deleteRule}
                          label="Delete"
                          pendingLabel="Deleting…"
                          className="inline-form"
                        >
                          <input type="hidden" name="ruleId" value={entry.id} />
                          <input type="hidden" name="back" value={back} />
                        </ActionForm>
                      ) : null}
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
