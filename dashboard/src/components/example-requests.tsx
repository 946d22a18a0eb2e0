// Example requests kept for reason and warning codes (detail spans): when, which code, the request (origin,
// route, method, service, status, trace id) and its CORS headers as sent. Every value here came from a
// request or a response: text only, clipped when long with the full value in the title.
import Link from 'next/link';
import type { ReactNode } from 'react';
import { CLIP } from '../lib/clip-text';
import { formatInstant } from '../lib/format';
import { EXAMPLES_TABLE, type ExampleRow } from '../lib/table-columns';
import { readSort, sortRows } from '../lib/table-sort';
import { UNNARROWED, viewHref, type View } from '../lib/view-params';
import { Clipped } from './clipped';
import { sortHeaders } from './sort-header';

function requestText(row: ExampleRow): string {
  const { example } = row;
  const method =
    example.requestMethod === '' ? example.method : `${example.method} → ${example.requestMethod}`;
  return `${example.kind} ${method}`;
}

function Headers({ row }: { readonly row: ExampleRow }) {
  const { example } = row;
  const sent = Object.entries(example.responseHeaders).filter(
    (entry): entry is [string, string] => entry[1] !== null,
  );
  const missing = Object.entries(example.responseHeaders)
    .filter(([, value]) => value === null)
    .map(([name]) => name);
  return (
    <dl className="headers">
      {example.requestHeaders.length === 0 ? null : (
        <div>
          <dt>request headers</dt>
          <dd>
            <Clipped text={example.requestHeaders.join(', ')} max={CLIP.header} />
          </dd>
        </div>
      )}
      {sent.map(([name, value]) => (
        <div key={name}>
          <dt>{name}</dt>
          <dd>
            <Clipped text={value} max={CLIP.header} />
          </dd>
        </div>
      ))}
      {missing.length === 0 ? null : (
        <div>
          <dt>not sent</dt>
          <dd className="muted">{missing.join(', ')}</dd>
        </div>
      )}
    </dl>
  );
}

export interface ExampleRequestsProps {
  readonly rows: readonly ExampleRow[];
  /** The page the table is on (its sort headers submit there). */
  readonly path: string;
  readonly view: View;
  readonly caption: ReactNode;
}

export function ExampleRequests({ rows, path, view, caption }: ExampleRequestsProps) {
  const state = readSort(EXAMPLES_TABLE, view.sort, view.dir);
  const header = sortHeaders(EXAMPLES_TABLE, state, { path, view });
  return (
    <div className="table-wrap">
      <table className="example-requests">
        <caption>{caption}</caption>
        <thead>
          <tr>
            {header('time')}
            {header('exampleCode')}
            {header('exampleOrigin')}
            {header('exampleRoute')}
            <th scope="col">Request</th>
            {header('exampleService')}
            <th scope="col">Trace id</th>
            <th scope="col">CORS headers</th>
          </tr>
        </thead>
        <tbody>
          {sortRows(rows, EXAMPLES_TABLE, state).map((row) => (
            <tr key={`${row.finding}:${row.code}:${row.example.spanId}`} data-code={row.code}>
              <th scope="row">{formatInstant(row.example.time)}</th>
              <td>
                <code>{row.code}</code>
              </td>
              <td>
                <Link
                  href={viewHref('/origins', view, { ...UNNARROWED, origin: row.example.origin })}
                  className="origin-link"
                >
                  <Clipped className="origin" text={row.example.origin} max={CLIP.origin} />
                </Link>
              </td>
              <td>
                <Clipped text={row.example.route} max={CLIP.route} />
              </td>
              <td>
                <code>{requestText(row)}</code>
                {row.example.status === 0 ? null : <span className="muted"> → {row.example.status}</span>}
              </td>
              <td>
                <Clipped text={row.example.service} max={CLIP.service} />
              </td>
              <td>
                <code className="trace-id" data-col="trace">
                  {row.example.traceId}
                </code>
              </td>
              <td>
                <Headers row={row} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
