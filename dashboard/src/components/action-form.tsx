'use client';
// A form that runs a server action and shows what came of it beside its button: a refusal from the
// collector as an alert (the field it names included), a success as a status. Without JavaScript the form
// still posts (React's progressive enhancement of server actions).
import { useActionState, type ReactNode } from 'react';
import { useFormStatus } from 'react-dom';

export type ActionResult = { readonly ok: boolean; readonly message: string } | null;

export type FormAction = (previous: ActionResult, form: FormData) => Promise<ActionResult>;

function SubmitButton({ label, pendingLabel }: { readonly label: string; readonly pendingLabel: string }) {
  const { pending } = useFormStatus();
  return (
    <button type="submit" disabled={pending} aria-disabled={pending}>
      {pending ? pendingLabel : label}
    </button>
  );
}

export function ActionForm({
  action,
  label,
  pendingLabel = 'Working…',
  className,
  children,
}: {
  readonly action: FormAction;
  readonly label: string;
  readonly pendingLabel?: string;
  readonly className?: string;
  readonly children?: ReactNode;
}) {
  const [result, run] = useActionState(action, null);
  return (
    <form action={run} className={className}>
      {children}
      <SubmitButton label={label} pendingLabel={pendingLabel} />
      {result === null ? null : result.ok ? (
        <p role="status" className="action-result">
          {result.message}
        </p>
      ) : (
        <p role="alert" className="action-result action-error">
          {result.message}
        </p>
      )}
    </form>
  );
}
