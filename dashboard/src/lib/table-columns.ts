// The sortable columns of each table in the dashboard and each table's default order (the query API's
// own order, so an unsorted link shows what the API answered). A column's key is its `sort` value in the
// URL; keys are unique per page, so with two tables on a page the URL sorts one of them and the other keeps
// its default order. Pure data.
import type {
  AlertInstanceView,
  AlertRuleEntry,
  AlertRuleState,
  Mismatch,
  MismatchExample,
  PolicyChange,
  PreflightCacheEntry,
  RejectedOrigin,
  ServiceCaptureStatus,
  SimulatedOrigin,
  SimulatedRoute,
} from '@corsight/collector/api-types';
import { captureStatusText } from './capture-status';
import type { TableSort } from './table-sort';

export const ORIGINS_TABLE: TableSort<RejectedOrigin> = {
  columns: [
    { key: 'origin', label: 'Origin', kind: 'text', value: (row) => row.origin },
    { key: 'blocked', label: 'Blocked', kind: 'number', value: (row) => row.blocked },
    // What a spike alert sends someone here to find: which origins grew, and which are new.
    { key: 'change', label: 'Change', kind: 'number', value: (row) => row.trend.change },
    { key: 'share', label: 'Share blocked', kind: 'number', value: (row) => row.share },
    { key: 'firstBlocked', label: 'First blocked', kind: 'time', value: (row) => row.firstBlocked },
    { key: 'lastBlocked', label: 'Last blocked', kind: 'time', value: (row) => row.lastBlocked },
  ],
  defaultSort: { key: 'blocked', dir: 'desc' },
};

/** The Max-Age sent as a number of seconds; null when not sent, unknown or not a number. */
function maxAgeSeconds(entry: PreflightCacheEntry): number | null {
  if (entry.maxAgeSent === undefined || entry.maxAgeSent === null) return null;
  const seconds = Number(entry.maxAgeSent);
  return Number.isFinite(seconds) ? seconds : null;
}

export const PREFLIGHT_CACHE_TABLE: TableSort<PreflightCacheEntry> = {
  columns: [
    { key: 'route', label: 'Route', kind: 'text', value: (row) => row.route },
    // Shown when no single service is selected: two services with the same route are two keys.
    { key: 'service', label: 'Service', kind: 'text', value: (row) => row.service },
    { key: 'origin', label: 'Origin', kind: 'text', value: (row) => row.origin },
    { key: 'method', label: 'Method', kind: 'text', value: (row) => row.method },
    { key: 'needing', label: 'Needed a preflight', kind: 'number', value: (row) => row.needingPreflight },
    { key: 'preflights', label: 'Allowed preflights', kind: 'number', value: (row) => row.allowedPreflights },
    { key: 'hits', label: 'Est. cache hits', kind: 'number', value: (row) => row.estimatedHits },
    { key: 'maxAge', label: 'Max-Age sent', kind: 'number', value: maxAgeSeconds },
    {
      key: 'saved',
      label: 'Preflights saved by a longer Max-Age',
      kind: 'number',
      value: (row) => row.preflightsSavedEstimate,
    },
  ],
  defaultSort: { key: 'preflights', dir: 'desc' },
};

export const MISMATCHES_TABLE: TableSort<Mismatch> = {
  columns: [
    { key: 'code', label: 'Code', kind: 'text', value: (row) => row.code },
    { key: 'finding', label: 'Kind', kind: 'text', value: (row) => row.finding },
    { key: 'total', label: 'Requests', kind: 'number', value: (row) => row.total },
    { key: 'examples', label: 'Examples', kind: 'number', value: (row) => row.examples.length },
  ],
  defaultSort: { key: 'total', dir: 'desc' },
};

/** One example request as the examples table lists it: under the code it was kept for. */
export interface ExampleRow {
  readonly finding: Mismatch['finding'];
  readonly code: string;
  readonly example: MismatchExample;
}

/** Every example of every code, one row each. */
export function exampleRows(codes: readonly Mismatch[]): ExampleRow[] {
  return codes.flatMap((mismatch) =>
    mismatch.examples.map((example) => ({ finding: mismatch.finding, code: mismatch.code, example })),
  );
}

// Prefixed keys: the Mismatches page also has a `code` column and the Origins page an `origin` one.
export const EXAMPLES_TABLE: TableSort<ExampleRow> = {
  columns: [
    { key: 'time', label: 'Time', kind: 'time', value: (row) => row.example.time },
    { key: 'exampleCode', label: 'Code', kind: 'text', value: (row) => row.code },
    { key: 'exampleOrigin', label: 'Origin', kind: 'text', value: (row) => row.example.origin },
    { key: 'exampleRoute', label: 'Route', kind: 'text', value: (row) => row.example.route },
    { key: 'exampleService', label: 'Service', kind: 'text', value: (row) => row.example.service },
  ],
  defaultSort: { key: 'time', dir: 'desc' },
};

function blockedAfter(change: PolicyChange): number {
  return change.originsBlockedAfter.reduce((sum, origin) => sum + origin.blockedAfter, 0);
}

export const POLICY_CHANGES_TABLE: TableSort<PolicyChange> = {
  columns: [
    { key: 'at', label: 'When', kind: 'time', value: (row) => row.at },
    { key: 'service', label: 'Service', kind: 'text', value: (row) => row.service },
    // Its cells are a list of origins with their counts, read left to right like the header.
    { key: 'blockedAfter', label: 'Blocked after', kind: 'number', value: blockedAfter, align: 'start' },
  ],
  defaultSort: { key: 'at', dir: 'desc' },
};

export const SIMULATED_ORIGINS_TABLE: TableSort<SimulatedOrigin> = {
  columns: [
    { key: 'refusedOrigin', label: 'Origin refused', kind: 'text', value: (row) => row.origin },
    { key: 'newlyBlocked', label: 'Newly blocked', kind: 'number', value: (row) => row.newlyBlocked },
    { key: 'alreadyBlocked', label: 'Already blocked', kind: 'number', value: (row) => row.alreadyBlocked },
    { key: 'requests', label: 'Requests', kind: 'number', value: (row) => row.requests },
  ],
  defaultSort: { key: 'newlyBlocked', dir: 'desc' },
};

// Prefixed keys: the simulator's origins table on the same page has `newlyBlocked` and the changes table
// `service`.
export const SIMULATED_ROUTES_TABLE: TableSort<SimulatedRoute> = {
  columns: [
    { key: 'refusedRoute', label: 'Route', kind: 'text', value: (row) => row.route },
    { key: 'routeService', label: 'Service', kind: 'text', value: (row) => row.service },
    {
      key: 'routeNewlyBlocked',
      label: 'Newly blocked',
      kind: 'number',
      value: (row) => row.newlyBlocked,
    },
  ],
  defaultSort: { key: 'routeNewlyBlocked', dir: 'desc' },
};

export const CAPTURE_STATUS_TABLE: TableSort<ServiceCaptureStatus> = {
  columns: [
    { key: 'service', label: 'Service', kind: 'text', value: (row) => row.service },
    { key: 'status', label: 'Status', kind: 'text', value: (row) => captureStatusText(row.capture) },
    { key: 'httpSpans', label: 'HTTP spans seen', kind: 'number', value: (row) => row.httpSpans },
    { key: 'judged', label: 'Judged', kind: 'number', value: (row) => row.judged },
  ],
  defaultSort: { key: 'service', dir: 'asc' },
};

/** Firing before pending before inactive. */
const STATE_ORDER: Readonly<Record<AlertRuleState, number>> = { firing: 2, pending: 1, inactive: 0 };

// Alerts page: two sortable tables, so their keys differ (`rule…`, `instance…`).
export const ALERT_RULES_TABLE: TableSort<AlertRuleEntry> = {
  columns: [
    { key: 'rule', label: 'Rule', kind: 'text', value: (row) => row.name },
    {
      key: 'ruleState',
      label: 'State',
      kind: 'number',
      value: (row) => STATE_ORDER[row.state],
      align: 'start',
    },
    { key: 'ruleKind', label: 'Kind', kind: 'text', value: (row) => row.kind },
    { key: 'ruleSource', label: 'Source', kind: 'text', value: (row) => row.source },
  ],
  defaultSort: { key: 'ruleState', dir: 'desc' },
};

export const ALERT_INSTANCES_TABLE: TableSort<AlertInstanceView> = {
  columns: [
    { key: 'instanceRule', label: 'Rule', kind: 'text', value: (row) => row.ruleName },
    {
      key: 'instanceState',
      label: 'State',
      kind: 'number',
      value: (row) => STATE_ORDER[row.state],
      align: 'start',
    },
    {
      key: 'since',
      label: 'Since',
      kind: 'number',
      value: (row) => row.firingSince ?? row.activeSince,
      align: 'start',
    },
    { key: 'peak', label: 'Peak', kind: 'number', value: (row) => row.peak },
  ],
  defaultSort: { key: 'instanceState', dir: 'desc' },
};
