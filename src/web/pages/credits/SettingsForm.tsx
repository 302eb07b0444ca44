import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { put } from '../../api/client';
import type { Settings } from '../../api/types';
import { Field, fieldErrors } from '../../components/Field';
import { ErrorMessage, Loading, Success } from '../../components/ui';
import { useSettings } from '../../balance';
import { formatCredits, formatMoney } from '../../lib/format';
import { usePackages } from '../../queries';

export function SettingsForm() {
  const ids = { h: useId(), en: useId(), pkg: useId() };
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

  const save = useMutation({
    mutationFn: () => {
      const body: { lowBalanceThreshold: number; autoRecharge: Settings['autoRecharge'] } = {
        lowBalanceThreshold: Number(low),
        autoRecharge: enabled
          ? { enabled: true, thresholdCredits: Number(threshold), packageId: packageId || null }
          : { enabled: false, thresholdCredits: threshold === '' ? null : Number(threshold), packageId: packageId || null },
      };
      return put<Settings>('/api/credits/settings', body);
    },
    onSuccess: (s) => queryClient.setQueryData(['settings'], s),
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  const fe = fieldErrors(save.error);
  const packageError = fe['autoRecharge.packageId'];

  return (
    <section className="card" aria-labelledby={ids.h}>
      <div className="card-head">
        <h2 id={ids.h}>Settings</h2>
      </div>
      {settings.isPending ? <Loading label="Loading settings…" /> : null}
      <ErrorMessage error={settings.error} />
      {settings.data ? (
        <form className="stack" onSubmit={submit} noValidate>
          <Field
            label="Low balance threshold (credits)"
            type="number"
            inputMode="decimal"
            min="0"
            step="0.001"
            value={low}
            onChange={(e) => setLow(e.target.value)}
            hint="You get an alert, and the header balance turns amber, when your available credits fall below this."
            error={fe.lowBalanceThreshold}
          />
          <fieldset className="fieldset">
            <legend>Auto-recharge</legend>
            <div className="check">
              <input id={ids.en} type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
              <label htmlFor={ids.en}>Buy a package automatically when my balance runs low</label>
            </div>
            <Field
              label="Recharge below (credits)"
              type="number"
              inputMode="decimal"
              min="0"
              step="0.001"
              value={threshold}
              disabled={!enabled}
              required={enabled}
              onChange={(e) => setThreshold(e.target.value)}
              error={fe['autoRecharge.thresholdCredits']}
            />
            <div className="field">
              <label htmlFor={ids.pkg}>Package to buy</label>
              <select
                id={ids.pkg}
                value={packageId}
                disabled={!enabled}
                required={enabled}
                onChange={(e) => setPackageId(e.target.value)}
                aria-invalid={packageError ? true : undefined}
                aria-describedby={packageError ? `${ids.pkg}-error` : undefined}
              >
                <option value="">Choose a package…</option>
                {(packages.data ?? []).map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name}: {formatCredits(p.credits + p.bonusCredits)} credits for {formatMoney(p.priceCents, p.currency)}
                  </option>
                ))}
              </select>
              {packageError ? (
                <p id={`${ids.pkg}-error`} className="hint hint-error">
                  {packageError}
                </p>
              ) : null}
            </div>
          </fieldset>
          <ErrorMessage error={save.error} inline={['lowBalanceThreshold', 'autoRecharge.thresholdCredits', 'autoRecharge.packageId']} />
          {save.isSuccess && !save.isPending ? <Success>Settings saved.</Success> : null}
          <div className="actions">
            <button type="submit" className="button button-primary" disabled={save.isPending}>
              {save.isPending ? 'Saving…' : 'Save settings'}
            </button>
          </div>
        </form>
      ) : null}
    </section>
  );
}
