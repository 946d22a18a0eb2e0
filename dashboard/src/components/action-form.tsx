'use client';
// A form that runs a server action and shows what came of it beside its button: a refusal from the
// collector as an alert (the field it names included), a success as a status. With JavaScript the action
// is dispatched from the submit handler, so a refused form keeps what was typed (React resets a form after
// its own action runs); without JavaScript the form still posts (React's progressive enhancement).
import { startTransition, useActionState, type SubmitEvent, type ReactNode } from 'react';

export type ActionResult = { readonly ok: boolean; readonly message: string } | null;

export type FormAction = (previous: ActionResult, form: FormData) => Promise<ActionResult>;

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
  const [result, run, pending] = useActionState(action, null);
  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    startTransition(() => {
      run(data);
    });
  };
  return (
    <form action={run} onSubmit={submit} className={className}>
      {children}
      <button type="submit" disabled={pending} aria-disabled={pending}>
        {pending ? pendingLabel : label}
      </button>
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
