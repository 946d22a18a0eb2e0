'use client';
// Anything a page did not turn into a message itself (load errors from the query API are shown inline).
import { useEffect } from 'react';

export default function PageError({
  error,
  reset,
}: {
  error: Error & { digest?: string };
  reset: () => void;
}) {
  useEffect(() => {
    console.error(error);
  }, [error]);
  return (
    <main id="content" className="notice notice-error" role="alert">
      <p>
        <strong>This page failed to render.</strong> The server log has the details
        {error.digest === undefined ? '' : ` (digest ${error.digest})`}.
      </p>
      <button type="button" onClick={reset}>
        Try again
      </button>
    </main>
  );
}
