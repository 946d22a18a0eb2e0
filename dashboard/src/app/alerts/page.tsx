// Alerts: the collector's alert rules with their state and signal, the instances firing now (each origin
// linked to the Origins view over its time), the history in the view's range (state changes, notifications,
// deliveries), silences, and a rule form with a backtest preview. Reads through the alerting API; changes
// are server actions (actions.ts). Rule names, origins and routes are rendered as React text only.
import type { Metadata } from 'next';
import type {
  AlertEventsAnswer,
  AlertRuleEntry,
  AlertRulesAnswer,
  AlertSilencesAnswer,
  AlertStateAnswer,
  BacktestAnswer,
  TimeseriesAnswer,
} from '@corsight/collector/api-types';
import { connection } from 'next/server';
import { ErrorNotice } from '../../components/notice';
import { Shell } from '../../components/shell';
import { exactFilters } from '../../lib/alert-format';
import {
  alertsHref,
  draftOfRule,
  NEW_RULE_DRAFT,
  readRuleDraft,
  ruleSpecOf,
  searchParamsReader,
  type RuleDraft,
} from '../../lib/alert-rule-form';
import { changeApi, CollectorApiError, getApi } from '../../lib/collector-api';
import { load, serviceChoices } from '../../lib/page-data';
import { apiRange, readView, type SearchParams, type View } from '../../lib/view-params';
import { HISTORY_LIMIT, HistorySection } from './history-section';
import { InstancesSection } from './instances-section';
import { BACKTEST_DAYS, RuleFormSection, type Preview } from './rule-form-section';
import { ChannelsList, RulesSection } from './rules-section';
import { SilencesSection } from './silences-section';

export const metadata: Metadata = { title: 'Alerts' };

const DAY_MS = 86_400_000;

/** Blocked per step for each rule whose filter the query API can apply exactly. */
async function ruleSparklines(
  rules: readonly AlertRuleEntry[],
  view: View,
  nowMs: number,
): Promise<Map<string, number[]>> {
  const range = apiRange(view, nowMs);
  const found = new Map<string, number[]>();
  await Promise.all(
    rules.map(async (entry) => {
      const filters = exactFilters(entry.rule.filter);
      if (filters === undefined) return;
      try {
        const answer = await getApi<TimeseriesAnswer>('/timeseries', {
          ...range,
          metric: 'blocked',
          service: filters.service ?? view.service,
          route: filters.route,
          origin: filters.origin,
        });
        found.set(
          entry.id,
          answer.buckets.map((_, i) =>
            answer.series.reduce((sum, series) => sum + (series.values[i] ?? 0), 0),
          ),
        );
      } catch (error) {
        // A missing sparkline is not worth failing the page for.
        if (!(error instanceof CollectorApiError)) throw error;
      }
    }),
  );
  return found;
}

async function backtest(draft: RuleDraft, nowMs: number): Promise<Preview> {
  const shaped = ruleSpecOf(draft);
  if (!shaped.ok) return { ok: false, message: shaped.problems.join('; ') };
  const result = await changeApi<BacktestAnswer>('POST', '/alerts/backtest', {
    rule: shaped.spec,
    from: nowMs - BACKTEST_DAYS * DAY_MS,
    to: nowMs,
  });
  return result.ok
    ? { ok: true, data: result.data }
    : { ok: false, message: `The backtest was refused: ${result.message}` };
}

function firstOf(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text.trim() === '' ? undefined : text.trim();
}

export default async function AlertsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  await connection();
  const params = await searchParams;
  const view = readView(params);
  const nowMs = Date.now();
  const range = apiRange(view, nowMs);
  const submitted = readRuleDraft(searchParamsReader(params));
  const editId = firstOf(params.edit);
  const [services, loaded, preview] = await Promise.all([
    serviceChoices(view, nowMs),
    load(async () => {
      const [rules, state, silences, events] = await Promise.all([
        getApi<AlertRulesAnswer>('/alerts/rules'),
        getApi<AlertStateAnswer>('/alerts/state'),
        getApi<AlertSilencesAnswer>('/alerts/silences'),
        getApi<AlertEventsAnswer>('/alerts/events', { ...range, limit: String(HISTORY_LIMIT) }),
      ]);
      return { rules, state, silences, events, sparklines: await ruleSparklines(rules.rules, view, nowMs) };
    }),
    submitted === undefined ? undefined : backtest(submitted, nowMs),
  ]);
  const back = alertsHref(view);
  if (!loaded.ok) {
    return (
      <Shell path="/alerts" title="Alerts" view={view} services={services}>
        <ErrorNotice message={loaded.message} />
      </Shell>
    );
  }
  const { rules, state, silences, events, sparklines } = loaded.data;
  const edited = editId === undefined ? undefined : rules.rules.find((entry) => entry.id === editId);
  const draft =
    submitted ?? (edited === undefined ? NEW_RULE_DRAFT : draftOfRule(edited, edited.source === 'api'));
  return (
    <Shell path="/alerts" title="Alerts" view={view} services={services}>
      <InstancesSection
        instances={state.instances}
        rules={rules.rules}
        evaluating={state.evaluating}
        view={view}
        nowMs={nowMs}
      />
      <RulesSection
        rules={rules.rules}
        invalid={rules.invalid}
        sparklines={sparklines}
        view={view}
        back={back}
      />
      <HistorySection events={events.events} rules={rules.rules} view={view} nowMs={nowMs} />
      <ChannelsList channels={rules.channels} />
      <SilencesSection silences={silences.silences} rules={rules.rules} nowMs={nowMs} />
      {editId !== undefined && edited === undefined && submitted === undefined ? (
        <ErrorNotice
          title="No rule to edit."
          message={`There is no rule "${editId}" (deleted, or a mistyped link): the form below makes a new rule.`}
        />
      ) : null}
      <RuleFormSection
        draft={draft}
        channels={rules.channels}
        preview={preview}
        view={view}
        nowMs={nowMs}
        back={back}
      />
    </Shell>
  );
}
