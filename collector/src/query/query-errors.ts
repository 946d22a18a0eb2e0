// The query API's one client error: a parameter that is missing, malformed or out of range. It names the
// parameter and the form it expects, so the dashboard (or a person with curl) can fix the request in one go.

/** What a 400 answer's body looks like. */
export interface BadParameterBody {
  readonly error: 'bad_parameter';
  readonly parameter: string;
  readonly expected: string;
  readonly message: string;
}

export class QueryParameterError extends Error {
  override readonly name = 'QueryParameterError';
  readonly code = 'bad_parameter';
  readonly statusCode = 400;

  constructor(
    readonly parameter: string,
    readonly expected: string,
    received?: unknown,
  ) {
    super(`${parameter} must be ${expected}${describeReceived(received)}`);
  }

  toBody(): BadParameterBody {
    return { error: this.code, parameter: this.parameter, expected: this.expected, message: this.message };
  }
}

/** The value echoed back, shortened: values come from users, and a 64 KiB value is not worth repeating. */
function describeReceived(received: unknown): string {
  if (received === undefined) return '';
  const text = typeof received === 'string' ? received : JSON.stringify(received);
  const shown = text.length > 80 ? `${text.slice(0, 80)}… (${text.length} characters)` : text;
  return `, got ${JSON.stringify(shown)}`;
}
