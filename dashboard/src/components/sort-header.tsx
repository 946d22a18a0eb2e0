// A sortable column header: a button in a GET form (next/form: a client-side navigation, and a plain form
// without JavaScript) whose fields are the view with the next sort, so the sort lives in the URL like every
// other state. `aria-sort` on the sorted column tells assistive technology the order.
import Form from 'next/form';
import { columnOf, nextSort, type SortKind, type SortState, type TableSort } from '../lib/table-sort';
import { viewParams, type View } from '../lib/view-params';

export interface SortHeaderProps {
  readonly column: {
    readonly key: string;
    readonly label: string;
    readonly kind: SortKind;
    readonly align?: 'start' | 'end';
  };
  readonly state: SortState;
  /** The page the form submits to. */
  readonly path: string;
  readonly view: View;
  /** Page parameters outside the view (the simulator's allowlist) that the sort must keep. */
  readonly extra?: Readonly<Record<string, string>>;
}

export function SortHeader({ column, state, path, view, extra = {} }: SortHeaderProps) {
  const active = column.key === state.key;
  const next = nextSort(column, state);
  const fields = [...viewParams(view, { sort: next.key, dir: next.dir }).entries(), ...Object.entries(extra)];
  const align = column.align ?? (column.kind === 'number' ? 'end' : 'start');
  return (
    <th
      scope="col"
      className={align === 'end' ? 'num' : undefined}
      aria-sort={active ? (state.dir === 'asc' ? 'ascending' : 'descending') : undefined}
    >
      <Form action={path} scroll={false} className="sort-form">
        {fields.map(([name, value]) => (
          <input key={name} type="hidden" name={name} value={value} />
        ))}
        <button type="submit" className="sort-button" data-sort={column.key}>
          {column.label}
          {/* A no-break space keeps the mark beside the label's last word. */}
          <span aria-hidden="true" className="sort-mark">
            {'\u00a0'}
            {active ? (state.dir === 'asc' ? '▲' : '▼') : '↕'}
          </span>
        </button>
      </Form>
    </th>
  );
}

/** `header(key)` renders the sortable header of `table`'s column `key` for the current sort. */
export function sortHeaders<Row>(
  table: TableSort<Row>,
  state: SortState,
  page: { readonly path: string; readonly view: View; readonly extra?: Readonly<Record<string, string>> },
) {
  return (key: string) => <SortHeader key={key} column={columnOf(table, key)} state={state} {...page} />;
}
