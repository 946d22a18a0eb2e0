// Empty and error states: say what happened and what to try next.
import type { ReactNode } from 'react';

export function EmptyState({ children }: { readonly children: ReactNode }) {
  return (
    <div className="notice" role="status">
      {children}
    </div>
  );
}

export function ErrorNotice({
  message,
  title = 'The data could not be loaded.',
}: {
  readonly message: string;
  /** What failed, in the user's terms: loading the page's data unless said otherwise. */
  readonly title?: string;
}) {
  return (
    <div className="notice notice-error" role="alert">
      <strong>{title}</strong> <span>{message}</span>
    </div>
  );
}
