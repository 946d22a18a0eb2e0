import { describe, expect, it } from 'vitest';
import { insertErrorKind } from './insert-error-kind.js';

const clickhouseError = (type: string): Error => Object.assign(new Error(type), { code: '1', type });

describe('insertErrorKind', () => {
  it.each([
    ['a row ClickHouse cannot parse', clickhouseError('CANNOT_PARSE_INPUT_ASSERTION_FAILED'), 'content'],
    ['a bad enum value', clickhouseError('UNKNOWN_ELEMENT_IN_ENUM'), 'content'],
    ['a body that broke off (also a network fault)', clickhouseError('CANNOT_READ_ALL_DATA'), 'transient'],
    ['too many parts (back off and it passes)', clickhouseError('TOO_MANY_PARTS'), 'transient'],
    ['a missing table (migrations pending)', clickhouseError('UNKNOWN_TABLE'), 'transient'],
    ['a timeout', clickhouseError('TIMEOUT_EXCEEDED'), 'transient'],
    ['a refused connection (no ClickHouse type)', new Error('connect ECONNREFUSED'), 'transient'],
    ['something that is not an error', 'boom', 'transient'],
  ])('%s → %s', (_name, error, kind) => {
    expect(insertErrorKind(error)).toBe(kind);
  });
});
