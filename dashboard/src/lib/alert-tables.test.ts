import type { AlertInstanceView, AlertRuleEntry } from '@corsight/collector/api-types';
import { describe, expect, it } from 'vitest';
import { ALERT_INSTANCES_TABLE, ALERT_RULES_TABLE } from './table-columns';
import { readSort, sortRows } from './table-sort';

const instance = (id: string, state: 'pending' | 'firing', peak: number) =>
  ({ id, ruleName: id, state, peak, activeSince: 0, firingSince: null }) as unknown as AlertInstanceView;
const rule = (id: string, state: AlertRuleEntry['state']) =>
  ({ id, name: id, kind: 'blocked_ratio', source: 'file', state }) as unknown as AlertRuleEntry;

describe('the Alerts page tables', () => {
  it('list firing before pending (before inactive) by default, ties in the API order', () => {
    const instances = [instance('a', 'pending', 9), instance('b', 'firing', 1), instance('c', 'firing', 5)];
    const ids = (rows: readonly { id: string }[]) => rows.map((row) => row.id);
    expect(
      ids(sortRows(instances, ALERT_INSTANCES_TABLE, readSort(ALERT_INSTANCES_TABLE, undefined, undefined))),
    ).toEqual(['b', 'c', 'a']);
    expect(
      ids(sortRows(instances, ALERT_INSTANCES_TABLE, readSort(ALERT_INSTANCES_TABLE, 'peak', undefined))),
    ).toEqual(['a', 'c', 'b']);
    const rules = [rule('x', 'inactive'), rule('y', 'firing'), rule('z', 'pending')];
    expect(
      ids(sortRows(rules, ALERT_RULES_TABLE, readSort(ALERT_RULES_TABLE, undefined, undefined))),
    ).toEqual(['y', 'z', 'x']);
    // A key of the other table leaves this one in its default order.
    expect(readSort(ALERT_RULES_TABLE, 'peak', 'asc')).toEqual(ALERT_RULES_TABLE.defaultSort);
  });
});
