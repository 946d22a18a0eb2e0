// The rule form and its backtest preview. The form is a GET form: previewing puts the draft in the URL and
// the page runs the collector's backtest over the last 7 days ("would have fired N times"), listing each
// firing; only then is there a Save button, a server action sending the same rule with the admin token.
import type { AlertRulesAnswer, BacktestAnswer } from '@corsight/collector/api-types';
import Form from 'next/form';
import { ActionForm } from '../../components/action-form';
import { ErrorNotice } from '../../components/notice';
import { formatElapsed, formatMoment, keyParts } from '../../lib/alert-format';
import { Clipped } from '../../components/clipped';
import {
  ALERT_KIND_LABELS,
  ALERT_KINDS,
  draftParams,
  GROUP_FIELDS,
  type RuleDraft,
} from '../../lib/alert-rule-form';
import { CLIP } from '../../lib/clip-text';
import { formatCount, formatCounted } from '../../lib/format';
import { UNNARROWED, viewParams, type View } from '../../lib/view-params';
import { saveRule } from './actions';

export const BACKTEST_DAYS = 7;

export type Preview =
  { readonly ok: true; readonly data: BacktestAnswer } | { readonly ok: false; readonly message: string };

function TextField({
  name,
  label,
  value,
  hint,
  required = false,
  kinds,
}: {
  readonly name: keyof RuleDraft;
  readonly label: string;
  readonly value: string;
  readonly hint?: string;
  readonly required?: boolean;
  /** The kinds the field belongs to: the stylesheet hides it while another kind is chosen. */
  readonly kinds?: string;
}) {
  return (
    <label data-kinds={kinds}>
      {label}
      <input type="text" name={name} defaultValue={value} required={required} maxLength={256} />
      {hint === undefined ? null : <small className="muted">{hint}</small>}
    </label>
  );
}

export function RuleFormSection({
  draft,
  channels,
  preview,
  view,
  nowMs,
  back,
}: {
  readonly draft: RuleDraft;
  readonly channels: AlertRulesAnswer['channels'];
  /** The backtest of the draft in the URL; undefined before a preview. */
  readonly preview: Preview | undefined;
  readonly view: View;
  readonly nowMs: number;
  readonly back: string;
}) {
  const hidden = [...viewParams(view, UNNARROWED).entries()];
  return (
    <section aria-labelledby="rule-form">
      <h2 id="rule-form">{draft.editing === '' ? 'New rule' : `Edit rule ${draft.editing}`}</h2>
      {/* Keyed by the draft: a new draft (an Edit link, Back) remounts the form, so inputs typed into
          before show the draft's values, not what was last typed (React keeps a typed value over a new
          defaultValue). */}
      <Form key={JSON.stringify(draftParams(draft))} action="/alerts" className="alert-form rule-form">
        {hidden.map(([name, value]) => (
          <input key={name} type="hidden" name={name} value={value} />
        ))}
        {draft.editing === '' ? null : <input type="hidden" name="editing" value={draft.editing} />}
        <TextField name="name" label="Name" value={draft.name} required />
        {draft.editing === '' ? (
          <TextField
            name="id"
            label="Id (optional)"
            value={draft.id}
            hint="letters, digits, _ . -; from the name when empty"
          />
        ) : (
          <input type="hidden" name="id" value={draft.id} />
        )}
        <label>
          Kind
          <select name="kind" defaultValue={draft.kind}>
            {ALERT_KINDS.map((kind) => (
              <option key={kind} value={kind}>
                {ALERT_KIND_LABELS[kind]}
              </option>
            ))}
          </select>
        </label>
        <fieldset>
          <legend>Filter (names or globs with * and ?; empty matches all)</legend>
          <TextField name="filterService" label="Service" value={draft.filterService} />
          <TextField name="filterRoute" label="Route" value={draft.filterRoute} />
          <TextField name="filterOrigin" label="Origin" value={draft.filterOrigin} />
        </fieldset>
        <fieldset>
          <legend>One alert per</legend>
          {GROUP_FIELDS.map((field) => (
            <label key={field} className="check">
              <input
                type="checkbox"
                name="groupBy"
                value={field}
                defaultChecked={draft.groupBy.includes(field)}
              />
              {field}
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>Timing and volume</legend>
          <TextField name="window" label="Window" value={draft.window} hint="e.g. 5m" />
          <TextField
            name="minCount"
            label="At least (blocked requests in the window)"
            value={draft.minCount}
          />
          <TextField
            name="for"
            label="For (pending before firing)"
            value={draft.for}
            hint="0 fires at once"
          />
          <TextField name="repeat" label="Repeat (reminder while firing)" value={draft.repeat} />
        </fieldset>
        <fieldset>
          <legend>Kind settings (only the chosen kind&apos;s are sent)</legend>
          <TextField
            name="baseline"
            label="Spike: baseline"
            value={draft.baseline}
            hint="e.g. 7d"
            kinds="rejected_spike"
          />
          <TextField
            name="factor"
            label="Spike: factor over the baseline"
            value={draft.factor}
            kinds="rejected_spike"
          />
          <TextField
            name="lookback"
            label="New or newly blocked origin: lookback"
            value={draft.lookback}
            hint="e.g. 30d"
            kinds="new_rejected_origin newly_blocked_origin"
          />
          <TextField
            name="ratio"
            label="Share blocked: ratio (0–1)"
            value={draft.ratio}
            kinds="blocked_ratio"
          />
        </fieldset>
        {channels.length === 0 ? null : (
          <fieldset>
            <legend>Notify</legend>
            {channels.map((channel) => (
              <label key={channel.id} className="check">
                <input
                  type="checkbox"
                  name="notify"
                  value={channel.id}
                  defaultChecked={draft.notify.includes(channel.id)}
                />
                {channel.id} <span className="muted">({channel.type})</span>
              </label>
            ))}
          </fieldset>
        )}
        <button type="submit">Preview: backtest the last {BACKTEST_DAYS} days</button>
      </Form>
      {preview === undefined ? null : (
        <PreviewResult preview={preview} draft={draft} nowMs={nowMs} back={back} />
      )}
    </section>
  );
}

function PreviewResult({
  preview,
  draft,
  nowMs,
  back,
}: {
  readonly preview: Preview;
  readonly draft: RuleDraft;
  readonly nowMs: number;
  readonly back: string;
}) {
  if (!preview.ok) return <ErrorNotice title="The rule could not be tried." message={preview.message} />;
  const { firings, notifications } = preview.data;
  return (
    <div className="backtest" aria-labelledby="backtest-result">
      <h3 id="backtest-result" data-firings={firings.length}>
        This rule would have fired {firings.length === 1 ? 'once' : `${firings.length} times`} in the last{' '}
        {BACKTEST_DAYS} days
        {firings.length === 0 ? '' : ` (${formatCounted(notifications, 'notification')})`}
      </h3>
      {firings.length === 0 ? null : (
        <div className="table-wrap">
          <table className="backtest-firings">
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">From</th>
                <th scope="col">For</th>
                <th scope="col" className="num">
                  Peak
                </th>
              </tr>
            </thead>
            <tbody>
              {firings.map((firing, index) => (
                <tr key={`${firing.start}:${index}`} data-origin={firing.key.origin}>
                  <th scope="row">
                    {keyParts(firing.key).length === 0 ? (
                      <span className="muted">whole rule</span>
                    ) : (
                      keyParts(firing.key).map((part) => (
                        <span key={part.field} className="key-part">
                          {part.field}{' '}
                          <Clipped
                            className={part.field === 'origin' ? 'origin' : 'key-value'}
                            text={part.value}
                            max={CLIP.origin}
                          />{' '}
                        </span>
                      ))
                    )}
                  </th>
                  <td>{formatMoment(firing.start, nowMs)}</td>
                  <td>{firing.end === null ? 'still firing' : formatElapsed(firing.end - firing.start)}</td>
                  <td className="num">{formatCount(firing.peak)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ActionForm
        action={saveRule}
        label={draft.editing === '' ? 'Save rule' : 'Save changes'}
        pendingLabel="Saving…"
        className="save-rule"
      >
        {draftParams(draft).map(([name, value], index) => (
          <input key={`${name}:${index}`} type="hidden" name={name} value={value} />
        ))}
        <input type="hidden" name="back" value={back} />
      </ActionForm>
    </div>
  );
}
