// Empty and error states: say what happened and what to try next.
import type { ReactNode } from 'react';

export function EmptyState({ children }: { readonly children: ReactNode }) {
  return (
    <div className="notice" role="status">
      {children}
    </div>
  );
}

export function ErrorNotice({ message }: { readonly message: string }) {
  return (
    <div className="notice notice-error" role="alert">
      <strong>The data could not be loaded.</strong> <span>{message}</span>
    </div>
  );
}
