// Silences: current and future ones with a button to remove each, and a form to mute a rule (or a rule for
// one origin) until a time, in UTC like every time on the dashboard.
import type { AlertRuleEntry, StoredSilence } from '@corsight/collector/api-types';
import { ActionForm } from '../../components/action-form';
import { Clipped } from '../../components/clipped';
import { EmptyState } from '../../components/notice';
import { formatMoment, minuteText } from '../../lib/alert-format';
import { CLIP, clipText } from '../../lib/clip-text';
import { createSilence, deleteSilence } from './actions';

export function SilencesSection({
  silences,
  rules,
  nowMs,
}: {
  readonly silences: readonly StoredSilence[];
  readonly rules: readonly AlertRuleEntry[];
  readonly nowMs: number;
}) {
  const nameOf = (ruleId: string) => rules.find((entry) => entry.id === ruleId)?.name ?? ruleId;
  return (
    <section aria-labelledby="alert-silences">
      <h2 id="alert-silences">Silences</h2>
      {silences.length === 0 ? (
        <EmptyState>No silence is active or planned.</EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="alert-silences">
            <thead>
              <tr>
                <th scope="col">Rule</th>
                <th scope="col">Origin</th>
                <th scope="col">From</th>
                <th scope="col">Until</th>
                <th scope="col">Comment</th>
                <th scope="col">Remove</th>
              </tr>
            </thead>
            <tbody>
              {silences.map((silence) => (
                <tr key={silence.id} data-silence={silence.id} data-rule={silence.ruleId}>
                  <th scope="row">
                    <Clipped text={nameOf(silence.ruleId)} max={48} />
                  </th>
                  <td>
                    {silence.origin === undefined ? (
                      <span className="muted">every origin</span>
                    ) : (
                      <Clipped className="origin" text={silence.origin} max={CLIP.origin} />
                    )}
                  </td>
                  <td>{formatMoment(silence.startsAtMs, nowMs)}</td>
                  <td>{formatMoment(silence.endsAtMs, nowMs)}</td>
                  <td>
                    <Clipped text={silence.comment} max={80} />
                  </td>
                  <td>
                    <ActionForm
                      action={deleteSilence}
                      label="Remove"
                      pendingLabel="Removing…"
                      className="inline-form"
                    >
                      <input type="hidden" name="silenceId" value={silence.id} />
                    </ActionForm>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {rules.length === 0 ? null : (
        <ActionForm
          action={createSilence}
          label="Silence"
          pendingLabel="Saving…"
          className="alert-form silence-form"
        >
          <label>
            Rule
            <select name="ruleId" required>
              {rules.map((entry) => (
                <option key={entry.id} value={entry.id} title={entry.name}>
                  {clipText(entry.name, 60)}
                </option>
              ))}
            </select>
          </label>
          <label>
            Origin (optional: every origin when empty)
            <input type="text" name="origin" maxLength={256} placeholder="https://app.example.com" />
          </label>
          <label>
            Until (UTC)
            <input type="datetime-local" name="until" required defaultValue={minuteText(nowMs + 3_600_000)} />
          </label>
          <label>
            Comment
            <input type="text" name="comment" maxLength={1000} />
          </label>
        </ActionForm>
      )}
    </section>
  );
}
