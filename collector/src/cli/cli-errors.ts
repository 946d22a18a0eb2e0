// Why `corsight` could not do what it was asked, as typed errors with stable codes: scripts branch on the
// exit status (EXIT_STATUS) and, with --json, on the code.

/** The exit statuses `corsight check` promises: the page could read the response, it could not, or no answer. */
export const EXIT_STATUS = { allowed: 0, blocked: 1, cannotCheck: 2 } as const;

export type UsageErrorCode =
  | 'missing_origin'
  | 'invalid_origin'
  | 'invalid_url'
  | 'invalid_method'
  | 'forbidden_method'
  | 'invalid_header'
  | 'reserved_header'
  | 'cookie_without_credentials'
  | 'invalid_timeout';

/** The command line asked for something a browser's fetch() could not do, or is malformed. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code: UsageErrorCode;

  constructor(code: UsageErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export type NetworkErrorCode =
  | 'connection_refused'
  | 'host_not_found'
  | 'timeout'
  | 'connection_reset'
  | 'tls'
  | 'malformed_response'
  | 'network';

/** No HTTP response came back: the check could not be made, which is not the same as "blocked". */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
  readonly code: NetworkErrorCode;
  /** The URL that did not answer. */
  readonly url: string;

  constructor(code: NetworkErrorCode, url: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.url = url;
  }
}
