import { useQueryClient } from '@tanstack/react-query';
import { useSubmitMutation } from '../../lib/submit-once';
import { useEffect, useId, useState } from 'react';
import { api } from '../../api/client';
import { SubmitActions } from '../../components/Actions';
import { CheckField, CreditsField, fieldErrors, SelectField } from '../../components/Field';
import { ErrorMessage, Loading, Success } from '../../components/ui';
import { creditsText, formatMoney } from '../../lib/format';
import { keys } from '../../lib/query-keys';
import { usePackages, useSettings } from './hooks';
import { onSubmit } from '../../lib/forms';
import { LoadError } from '../../components/QueryStatus';

/** The low-balance threshold and auto-recharge (a threshold and the package to buy). */
export function SettingsForm() {
  const h = useId();
  const settings = useSettings();
  const packages = usePackages();
  const queryClient = useQueryClient();
  const [low, setLow] = useState('');
  const [enabled, setEnabled] = useState(false);
  const [threshold, setThreshold] = useState('');
  const [packageId, setPackageId] = useState('');

  useEffect(() => {
    const s = settings.data;
    if (!s) return;
    setLow(String(s.lowBalanceThreshold));
    setEnabled(s.autoRecharge.enabled);
    setThreshold(s.autoRecharge.thresholdCredits === null ? '' : String(s.autoRecharge.thresholdCredits));
    setPackageId(s.autoRecharge.packageId ?? '');
  }, [settings.data]);

  const save = useSubmitMutation({
    mutationFn: () =>
      api('PUT /api/credits/settings', {
        body: {
          lowBalanceThreshold: Number(low),
          autoRecharge: enabled
            ? { enabled: true, thresholdCredits: Number(threshold), packageId: packageId || null }
            : { enabled: false, thresholdCredits: threshold === '' ? null : Number(threshold), packageId: packageId || null },
        },
      }),
    onSuccess: (s) => queryClient.setQueryData(keys.settings, s),
  });

  // A blank field is not 0: Number('') would save a threshold of 0 (no more low-balance alerts) unseen.
  const [touched, setTouched] = useState(false);
  const lowMissing = low.trim() === '';
  const thresholdMissing = enabled && threshold.trim() === '';
  const submit = onSubmit(() => {
    setTouched(true);
    if (!lowMissing && !thresholdMissing) save.mutate();
  });
  const fe = fieldErrors(save.error);

  return (
    <section className="card card-half" aria-labelledby={h}>
      <div className="card-head">
        <h2 id={h}>Settings</h2>
      </div>
      {settings.isPending ? <Loading label="Loading settings…" /> : null}
      <LoadError query={settings} />
      {settings.data ? (
        <form className="stack" onSubmit={submit} noValidate>
          <CreditsField
            label="Low balance threshold (credits)"
            min="0"
            value={low}
            onChange={setLow}
            hint="You get an alert, and the header balance turns amber, when your available credits fall below this."
            error={touched && lowMissing ? 'Enter a threshold in credits (0 for no low-balance alert).' : fe.lowBalanceThreshold}
          />
          <fieldset className="fieldset">
            <legend>Auto-recharge</legend>
            <CheckField label="Buy a package automatically when my balance runs low" checked={enabled} onChange={setEnabled} />
            <CreditsField
              label="Recharge below (credits)"
              min="0"
              value={threshold}
              onChange={setThreshold}
              disabled={!enabled}
              required={enabled}
              error={
                touched && thresholdMissing
                  ? 'Enter the balance, in credits, below which a package is bought.'
                  : fe['autoRecharge.thresholdCredits']
              }
            />
            <SelectField
              label="Package to buy"
              value={packageId}
              disabled={!enabled}
              required={enabled}
              onChange={(e) => setPackageId(e.target.value)}
              error={fe['autoRecharge.packageId']}
            >
              <option value="">Choose a package…</option>
              {(packages.data ?? []).map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}: {creditsText(p.credits + p.bonusCredits)} for {formatMoney(p.priceCents, p.currency)}
                </option>
              ))}
            </SelectField>
          </fieldset>
          <ErrorMessage error={save.error} inline={['lowBalanceThreshold', 'autoRecharge.thresholdCredits', 'autoRecharge.packageId']} />
          {save.isSuccess && !save.isPending ? <Success>Settings saved.</Success> : null}
          <SubmitActions label={save.isPending ? 'Saving…' : 'Save settings'} busy={save.isPending} />
        </form>
      ) : null}
    </section>
  );
}
