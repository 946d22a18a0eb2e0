// The few places where ClickHouse takes no query parameter: identifiers (cluster and database names in DDL)
// and the file name of INSERT … FROM INFILE, which the parser wants as a string literal. These are checked,
// then quoted; nothing else is ever spliced into SQL.

export class SqlLiteralError extends Error {
  override readonly name = 'SqlLiteralError';
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** A plain ClickHouse identifier (cluster, database, table), backquoted. Throws on anything else. */
export function quoteIdentifier(name: string, what: string): string {
  if (!IDENTIFIER.test(name)) {
    throw new SqlLiteralError(
      `${what} must be a plain identifier (letters, digits and '_', not starting with a digit), got ${JSON.stringify(name)}`,
    );
  }
  return '`' + name + '`';
}

/**
 * A file path as a ClickHouse string literal. Only absolute paths without control characters are accepted
 * (a NUL or newline has no business in a spool file name); quote and backslash are escaped.
 */
export function quoteFilePath(path: string): string {
  if (!path.startsWith('/')) {
    throw new SqlLiteralError(`segment path must be absolute, got ${JSON.stringify(path)}`);
  }
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
  if (/[\u0000-\u001f\u007f]/.test(path)) {
    throw new SqlLiteralError(
      `segment path must not contain control characters, got ${JSON.stringify(path)}`,
    );
  }
  return "'" + path.replaceAll('\\', '\\\\').replaceAll("'", "\\'") + "'";
}
