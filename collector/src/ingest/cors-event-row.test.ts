import { describe, expect, it } from 'vitest';
import { EVENT_INSERT_COLUMNS, encodeEventRows, eventRowValues } from './cors-event-row.js';
import { detailEventRow, eventRow } from './cors-event-row.fixture.js';

describe('encodeEventRows', () => {
  it('writes one value per insert column, in column order', () => {
    const values = eventRowValues(detailEventRow());
    expect(values).toHaveLength(EVENT_INSERT_COLUMNS.length);
    const byColumn = new Map(EVENT_INSERT_COLUMNS.map((column, index) => [column, values[index]]));
    expect(byColumn.get('timestamp')).toBe(detailEventRow().timestamp);
    expect(byColumn.get('request_method')).toBe('PUT');
    expect(byColumn.get('trace_id_hex')).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(byColumn.get('parent_span_id_hex')).toBe('b7ad6b7169203331');
    expect(byColumn.get('preflight_cache_webkit')).toBe(600);
    expect(byColumn.get('server_address')).toBe('api.example.com');
  });

  it('writes one JSON array per line, each ending in a newline', () => {
    const text = encodeEventRows([eventRow(), detailEventRow()]);
    const lines = text.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(JSON.parse(lines[0] ?? '')).toEqual(eventRowValues(eventRow()));
  });

  it('keeps tabs, newlines, quotes and backslashes inside their value', () => {
    const hostile = 'a\tb\nc"d\\e\u0000f\u2028';
    const text = encodeEventRows([detailEventRow({ allowHeaders: hostile, requestHeaders: [hostile] })]);
    expect(text.split('\n')).toHaveLength(2);
    const values = JSON.parse(text) as unknown[];
    expect(values[EVENT_INSERT_COLUMNS.indexOf('allow_headers')]).toBe(hostile);
    expect(values[EVENT_INSERT_COLUMNS.indexOf('request_headers')]).toEqual([hostile]);
  });

  it('writes exactly what JSON.stringify writes for the values, whatever the strings hold', () => {
    const strings = [
      '',
      'plain',
      'quote " and backslash \\',
      'tab\tnewline\ncarriage\r nul\u0000 unit\u001f del\u007f',
      'line separators \u2028\u2029',
      'accents é and CJK 漢字',
      'emoji 😀 pair',
      'lone high \ud800 surrogate',
      'lone low \udfff surrogate',
    ];
    const rows = strings.flatMap((text) => [
      detailEventRow({
        service: text,
        route: text,
        origin: text,
        userAgent: text,
        vary: text,
        policyHash: text,
        requestHeaders: [text, 'x'],
        reasons: [],
        needsPreflight: true,
        sampleWeight: 0.125,
      }),
      eventRow({ serverAddress: text, allowOrigin: null, needsPreflight: null, hints: [text] }),
    ]);
    const expected = rows.map((row) => `${JSON.stringify(eventRowValues(row))}\n`).join('');
    expect(encodeEventRows(rows)).toBe(expected);
  });

  it('encodes nothing for no rows', () => {
    expect(encodeEventRows([])).toBe('');
  });
});
