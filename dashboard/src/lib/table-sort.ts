// Sorting a table by one of its columns, as the URL asks (`sort=<column>&dir=asc|desc`). Pure and generic:
// each table lists its sortable columns with how to read a row's value (table-columns.ts). Numbers and
// instants compare as numbers, text with localeCompare; a missing value (null) sorts last in either
// direction, and ties keep the API's order, so a table reads the same on every reload.
import type { SortDirection } from './view-params';

/** `time` values are ISO-8601 instants; they compare as instants, not as text. */
export type SortKind = 'number' | 'text' | 'time';

export interface SortColumn<Row, Key extends string = string> {
  readonly key: Key;
  readonly label: string;
  readonly kind: SortKind;
  readonly value: (row: Row) => number | string | null;
  /** The header's alignment when the cells do not follow the kind (numbers right, the rest left). */
  readonly align?: 'start' | 'end';
}

export interface SortState<Key extends string = string> {
  readonly key: Key;
  readonly dir: SortDirection;
}

export interface TableSort<Row, Key extends string = string> {
  readonly columns: readonly SortColumn<Row, Key>[];
  readonly defaultSort: SortState<Key>;
}

/** The direction a column starts in: biggest and newest first, text A to Z. */
export function firstDirection(kind: SortKind): SortDirection {
  return kind === 'text' ? 'asc' : 'desc';
}

/**
 * The table's sort from the URL's `sort` and `dir`. A key this table does not have leaves it in its
 * default order (a page with two tables sorts one at a time); a known key without a direction starts in
 * the column's first direction.
 */
export function readSort<Row, Key extends string>(
  table: TableSort<Row, Key>,
  sort: string | undefined,
  dir: SortDirection | undefined,
): SortState<Key> {
  const column = table.columns.find((candidate) => candidate.key === sort);
  if (column === undefined) return table.defaultSort;
  return { key: column.key, dir: dir ?? firstDirection(column.kind) };
}

/** What clicking a column's header asks for: the other direction when it is the sorted one. */
export function nextSort<Key extends string>(
  column: { readonly key: Key; readonly kind: SortKind },
  current: SortState,
): SortState<Key> {
  if (column.key === current.key) {
    return { key: column.key, dir: current.dir === 'asc' ? 'desc' : 'asc' };
  }
  return { key: column.key, dir: firstDirection(column.kind) };
}

function comparable(kind: SortKind, value: number | string | null): number | string | null {
  if (value === null) return null;
  if (kind === 'text') return String(value);
  const number = kind === 'time' && typeof value === 'string' ? Date.parse(value) : Number(value);
  return Number.isNaN(number) ? null : number;
}

function compareValues(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), 'en');
}

/** The rows in the state's order; a new array, the input untouched. */
export function sortRows<Row, Key extends string>(
  rows: readonly Row[],
  table: TableSort<Row, Key>,
  state: SortState<Key>,
): Row[] {
  const column = table.columns.find((candidate) => candidate.key === state.key);
  if (column === undefined) return [...rows];
  const sign = state.dir === 'asc' ? 1 : -1;
  return rows
    .map((row, index) => ({ row, index, value: comparable(column.kind, column.value(row)) }))
    .sort((a, b) => {
      if (a.value === null || b.value === null) {
        const missing = Number(a.value === null) - Number(b.value === null);
        return missing || a.index - b.index;
      }
      return sign * compareValues(a.value, b.value) || a.index - b.index;
    })
    .map(({ row }) => row);
}

/** The table's column `key`; a key the table does not have is a programming error. */
export function columnOf<Row, Key extends string>(
  table: TableSort<Row, Key>,
  key: Key,
): SortColumn<Row, Key> {
  const column = table.columns.find((candidate) => candidate.key === key);
  if (column === undefined) throw new Error(`this table has no sortable column "${key}"`);
  return column;
}
