// The Alerts page's rule form as data. The form is a GET form (its fields are the draft's URL parameters,
// so a previewed draft is a link), its preview runs the collector's backtest, and saving sends the same
// JSON. Pure: form fields → the rule spec the collector's API takes, and a stored rule → form fields for
// editing. The collector validates the spec (and names each wrong field); this only shapes it, reporting
// what it cannot shape (a count that is not a number) with the same `rule.<field>` names.
import type { AlertKind, AlertRuleEntry, GroupField } from '@corsight/collector/api-types';
import { UNNARROWED, viewParams, type View } from './view-params';

export const ALERT_KIND_LABELS: Readonly<Record<AlertKind, string>> = {
  rejected_spike: 'Rejected requests spike (against a seasonal baseline)',
  new_rejected_origin: 'New origin rejected',
  newly_blocked_origin: 'Origin that was allowed is now blocked',
  blocked_ratio: 'Share of requests blocked',
};
export const ALERT_KINDS = Object.keys(ALERT_KIND_LABELS) as readonly AlertKind[];
export const GROUP_FIELDS: readonly GroupField[] = ['service', 'route', 'origin'];

/** The form's fields as text, the way a form or a URL carries them. */
export interface RuleDraft {
  readonly id: string;
  readonly name: string;
  readonly kind: AlertKind;
  readonly filterService: string;
  readonly filterRoute: string;
  readonly filterOrigin: string;
  readonly groupBy: readonly GroupField[];
  readonly window: string;
  readonly minCount: string;
  readonly for: string;
  readonly repeat: string;
  /** rejected_spike */
  readonly baseline: string;
  readonly factor: string;
  /** new_rejected_origin, newly_blocked_origin */
  readonly lookback: string;
  /** blocked_ratio, a share 0–1 */
  readonly ratio: string;
  readonly notify: readonly string[];
  /** The id of the API rule being edited (saved with PUT); empty for a new rule. */
  readonly editing: string;
}

/** Reads a field's values: URL search parameters and FormData both fit. */
export type FieldReader = (name: string) => readonly string[];

export function searchParamsReader(
  params: Readonly<Record<string, string | string[] | undefined>>,
): FieldReader {
  return (name) => {
    const value = params[name];
    if (value === undefined) return [];
    return Array.isArray(value) ? value : [value];
  };
}

export function formDataReader(form: FormData): FieldReader {
  return (name) => form.getAll(name).filter((value): value is string => typeof value === 'string');
}

function isKind(value: string | undefined): value is AlertKind {
  return value !== undefined && (ALERT_KINDS as readonly string[]).includes(value);
}

/** The draft in the fields, or undefined when they hold none (no `kind`). */
export function readRuleDraft(read: FieldReader): RuleDraft | undefined {
  const one = (name: string) => (read(name)[0] ?? '').trim();
  const kind = one('kind');
  if (!isKind(kind)) return undefined;
  return {
    id: one('id'),
    name: one('name'),
    kind,
    filterService: one('filterService'),
    filterRoute: one('filterRoute'),
    filterOrigin: one('filterOrigin'),
    groupBy: GROUP_FIELDS.filter((field) => read('groupBy').includes(field)),
    window: one('window'),
    minCount: one('minCount'),
    for: one('for'),
    repeat: one('repeat'),
    baseline: one('baseline'),
    factor: one('factor'),
    lookback: one('lookback'),
    ratio: one('ratio'),
    notify: read('notify').filter((id) => id.trim() !== ''),
    editing: one('editing'),
  };
}

/** What a new rule's form starts with: the collector's defaults for a per-origin spike. */
export const NEW_RULE_DRAFT: RuleDraft = {
  id: '',
  name: '',
  kind: 'rejected_spike',
  filterService: '',
  filterRoute: '',
  filterOrigin: '',
  groupBy: ['service', 'origin'],
  window: '5m',
  minCount: '20',
  for: '2m',
  repeat: '4h',
  baseline: '7d',
  factor: '3',
  lookback: '',
  ratio: '',
  notify: [],
  editing: '',
};

export type RuleSpecResult =
  | { readonly ok: true; readonly spec: Record<string, unknown> }
  | { readonly ok: false; readonly problems: readonly string[] };

function numberField(text: string, field: string, problems: string[]): number | undefined {
  if (text === '') return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) {
    problems.push(`rule.${field}: expected a number, got ${JSON.stringify(text.slice(0, 40))}`);
    return undefined;
  }
  return value;
}

/**
 * The rule JSON for the collector (POST/PUT /alerts/rules, POST /alerts/backtest). Empty fields are left
 * out, so the collector's defaults apply; only the chosen kind's own fields are sent (the API's rule
 * objects are strict). An empty id becomes a slug of the name, so a preview needs only a name.
 */
export function ruleSpecOf(draft: RuleDraft): RuleSpecResult {
  const problems: string[] = [];
  const spec: Record<string, unknown> = { id: draft.id === '' ? slugOf(draft.name) : draft.id };
  if (draft.name !== '') spec.name = draft.name;
  spec.kind = draft.kind;
  const filter: Record<string, string> = {};
  if (draft.filterService !== '') filter.service = draft.filterService;
  if (draft.filterRoute !== '') filter.route = draft.filterRoute;
  if (draft.filterOrigin !== '') filter.origin = draft.filterOrigin;
  if (Object.keys(filter).length > 0) spec.filter = filter;
  spec.groupBy = [...draft.groupBy];
  for (const field of ['window', 'for', 'repeat'] as const) {
    if (draft[field] !== '') spec[field] = draft[field];
  }
  const minCount = numberField(draft.minCount, 'minCount', problems);
  if (minCount !== undefined) spec.minCount = minCount;
  switch (draft.kind) {
    case 'rejected_spike': {
      if (draft.baseline !== '') spec.baseline = draft.baseline;
      const factor = numberField(draft.factor, 'factor', problems);
      if (factor !== undefined) spec.factor = factor;
      break;
    }
    case 'new_rejected_origin':
    case 'newly_blocked_origin':
      if (draft.lookback !== '') spec.lookback = draft.lookback;
      break;
    case 'blocked_ratio': {
      const ratio = numberField(draft.ratio, 'ratio', problems);
      if (ratio !== undefined) spec.ratio = ratio;
      break;
    }
    default: {
      const unexpected: never = draft.kind;
      throw new Error(`unhandled rule kind ${String(unexpected)}`);
    }
  }
  if (draft.notify.length > 0) spec.notify = [...draft.notify];
  return problems.length > 0 ? { ok: false, problems } : { ok: true, spec };
}

/** `Spike on /orders!` → `spike-on-orders`: an id the collector accepts (letters, digits, _ . -). */
export function slugOf(name: string): string {
  const slug = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/, '');
  return slug === '' ? 'rule' : slug;
}

/** A saved rule as form fields (editing an API rule, or starting a new rule from any rule). */
export function draftOfRule(entry: AlertRuleEntry, editing: boolean): RuleDraft {
  const rule = entry.rule;
  return {
    id: editing ? rule.id : '',
    name: editing ? rule.name : `${rule.name} (copy)`,
    kind: rule.kind,
    filterService: rule.filter.service ?? '',
    filterRoute: rule.filter.route ?? '',
    filterOrigin: rule.filter.origin ?? '',
    groupBy: [...rule.groupBy],
    window: rule.window,
    minCount: String(rule.minCount),
    for: rule.for,
    repeat: rule.repeat,
    baseline: rule.kind === 'rejected_spike' ? rule.baseline : '',
    factor: rule.kind === 'rejected_spike' ? String(rule.factor) : '',
    lookback:
      rule.kind === 'new_rejected_origin' || rule.kind === 'newly_blocked_origin' ? rule.lookback : '',
    ratio: rule.kind === 'blocked_ratio' ? String(rule.ratio) : '',
    notify: [...rule.notify],
    editing: editing ? rule.id : '',
  };
}

/** The draft as URL parameters (the preview link), `editing` included when set. */
export function draftParams(draft: RuleDraft): [string, string][] {
  const entries: [string, string][] = [];
  const add = (name: string, value: string) => {
    if (value !== '') entries.push([name, value]);
  };
  add('id', draft.id);
  add('name', draft.name);
  add('kind', draft.kind);
  add('filterService', draft.filterService);
  add('filterRoute', draft.filterRoute);
  add('filterOrigin', draft.filterOrigin);
  for (const field of draft.groupBy) entries.push(['groupBy', field]);
  add('window', draft.window);
  add('minCount', draft.minCount);
  add('for', draft.for);
  add('repeat', draft.repeat);
  add('baseline', draft.baseline);
  add('factor', draft.factor);
  add('lookback', draft.lookback);
  add('ratio', draft.ratio);
  for (const channel of draft.notify) entries.push(['notify', channel]);
  add('editing', draft.editing);
  return entries;
}

/** `/alerts?<view>&<entries>`: the Alerts page keeping the view's range, service and refresh. */
export function alertsHref(view: View, entries: readonly (readonly [string, string])[] = []): string {
  const search = viewParams(view, UNNARROWED);
  for (const [name, value] of entries) search.append(name, value);
  const query = search.toString();
  return query === '' ? '/alerts' : `/alerts?${query}`;
}
