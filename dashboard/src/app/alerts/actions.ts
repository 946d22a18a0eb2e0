'use server';
// The Alerts page's changes, as Next server actions: they run on the dashboard's server and call the
// collector with CORSIGHT_ADMIN_TOKEN, so the token never reaches a browser. Each returns what happened as
// text for the form that caused it; a saved rule sends the browser back to the page without the draft.
import { revalidatePath } from 'next/cache';
import { redirect } from 'next/navigation';
import type { AlertRuleSaved, AlertSilenceSaved, AlertTestAnswer } from '@corsight/collector/api-types';
import { formDataReader, readRuleDraft, ruleSpecOf } from '../../lib/alert-rule-form';
import { changeApi } from '../../lib/collector-api';
import { apiInstant } from '../../lib/view-params';
import type { ActionResult } from '../../components/action-form';

function field(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === 'string' ? value.trim() : '';
}

/** Where to go after a change: the page it came from, only ever a path on this dashboard's Alerts page. */
function backTo(form: FormData): string {
  const back = field(form, 'back');
  return /^\/alerts(?:\?|$)/.test(back) ? back : '/alerts';
}

export async function saveRule(_previous: ActionResult, form: FormData): Promise<ActionResult> {
  const draft = readRuleDraft(formDataReader(form));
  if (draft === undefined) return { ok: false, message: 'rule.kind: choose a kind of rule' };
  const shaped = ruleSpecOf(draft);
  if (!shaped.ok) return { ok: false, message: shaped.problems.join('; ') };
  const result =
    draft.editing === ''
      ? await changeApi<AlertRuleSaved>('POST', '/alerts/rules', shaped.spec)
      : await changeApi<AlertRuleSaved>(
          'PUT',
          `/alerts/rules/${encodeURIComponent(draft.editing)}`,
          shaped.spec,
        );
  if (!result.ok) return { ok: false, message: `Not saved: ${result.message}` };
  revalidatePath('/alerts');
  redirect(backTo(form));
}

export async function deleteRule(_previous: ActionResult, form: FormData): Promise<ActionResult> {
  const id = field(form, 'ruleId');
  const result = await changeApi<undefined>('DELETE', `/alerts/rules/${encodeURIComponent(id)}`);
  if (!result.ok) return { ok: false, message: `Not deleted: ${result.message}` };
  revalidatePath('/alerts');
  return { ok: true, message: `Rule ${id} deleted.` };
}

export async function createSilence(_previous: ActionResult, form: FormData): Promise<ActionResult> {
  const until = field(form, 'until');
  if (until === '') return { ok: false, message: 'silence.endsAt: choose when the silence ends' };
  const origin = field(form, 'origin');
  const comment = field(form, 'comment');
  const result = await changeApi<AlertSilenceSaved>('POST', '/alerts/silences', {
    ruleId: field(form, 'ruleId'),
    ...(origin === '' ? {} : { origin }),
    endsAt: apiInstant(until),
    ...(comment === '' ? {} : { comment }),
  });
  if (!result.ok) return { ok: false, message: `Not silenced: ${result.message}` };
  revalidatePath('/alerts');
  return { ok: true, message: `Silenced ${result.data.silence.ruleId} until ${until} UTC.` };
}

export async function deleteSilence(_previous: ActionResult, form: FormData): Promise<ActionResult> {
  const id = field(form, 'silenceId');
  const result = await changeApi<undefined>('DELETE', `/alerts/silences/${encodeURIComponent(id)}`);
  if (!result.ok) return { ok: false, message: `Not removed: ${result.message}` };
  revalidatePath('/alerts');
  return { ok: true, message: 'Silence removed.' };
}

export async function testChannel(_previous: ActionResult, form: FormData): Promise<ActionResult> {
  const channel = field(form, 'channel');
  const result = await changeApi<AlertTestAnswer>('POST', '/alerts/test', { channel });
  revalidatePath('/alerts');
  if (result.ok) {
    const attempts = result.data.delivery?.attempts.length ?? 0;
    return { ok: true, message: `Test notification delivered to ${channel} (${attempts} attempt(s)).` };
  }
  // 502: the channel failed; the answer still carries the delivery and its attempts.
  const attempt = (result.body as Partial<AlertTestAnswer> | undefined)?.delivery?.attempts.at(-1);
  const why = attempt?.error ?? (attempt?.status === undefined ? result.message : `HTTP ${attempt.status}`);
  return { ok: false, message: `Test notification to ${channel} failed: ${why}` };
}
