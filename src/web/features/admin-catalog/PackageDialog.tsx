import { useQueryClient } from '@tanstack/react-query';
import { useSubmitMutation } from '../../lib/submit-once';
import { useState } from 'react';
import type { Shape } from '../../../contracts/types';
import { PRICE_MAX_CENTS, PRICE_MIN_CENTS } from '../../../contracts/admin';
import { priceTextToCents } from '../../../contracts/money';
import { api } from '../../api/client';
import { DialogActions } from '../../components/Actions';
import { Dialog } from '../../components/Dialog';
import { CheckField, CreditsField, DaysField, Field, fieldErrors, NumberField } from '../../components/Field';
import { ErrorMessage } from '../../components/ui';
import { formatMoney } from '../../lib/format';
import { keys } from '../../lib/query-keys';
import { changeClearing, onSubmit } from '../../lib/forms';

/** Days from the field, null when it is blank (never expires). */
const days = (v: string) => (v.trim() === '' ? null : Number(v));

/** "New package", or "Edit <name>" of one (`pkg`): name, credits, bonus, price, expiries, popular and (editing) active. */
export function PackageDialog({ pkg, onClose }: { pkg: Shape<'CreditPackage'> | null; onClose(): void }) {
  const [name, setName] = useState(pkg?.name ?? '');
  const [credits, setCredits] = useState(pkg ? String(pkg.credits) : '');
  const [bonus, setBonus] = useState(pkg ? String(pkg.bonusCredits) : '0');
  const [price, setPrice] = useState(pkg ? (pkg.priceCents / 100).toFixed(2) : '');
  const [creditsDays, setCreditsDays] = useState(pkg?.creditsExpireInDays != null ? String(pkg.creditsExpireInDays) : '');
  const [bonusDays, setBonusDays] = useState(pkg?.bonusExpireInDays != null ? String(pkg.bonusExpireInDays) : '');
  const [popular, setPopular] = useState(pkg?.popular ?? false);
  const [active, setActive] = useState(pkg?.active ?? true);
  const [touched, setTouched] = useState(false);
  const currency = (pkg?.currency ?? 'usd').toUpperCase();
  const cents = priceTextToCents(price);
  const priceBad = cents === null || cents < PRICE_MIN_CENTS || cents > PRICE_MAX_CENTS;
  const queryClient = useQueryClient();
  const save = useSubmitMutation({
    mutationFn: () => {
      const body = {
        name: name.trim(),
        credits: Number(credits),
        bonusCredits: Number(bonus || 0),
        priceCents: cents ?? 0,
        creditsExpireInDays: days(creditsDays),
        bonusExpireInDays: days(bonusDays),
        popular,
      };
      return pkg
        ? api('PATCH /api/admin/packages/:id', { params: { id: pkg.id }, body: { ...body, active } })
        : api('POST /api/admin/packages', { body: { ...body, currency: 'usd' } });
    },
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: keys.admin.packages });
      void queryClient.invalidateQueries({ queryKey: keys.packages });
      onClose();
    },
  });
  const submit = onSubmit(() => {
    setTouched(true);
    if (!priceBad) save.mutate();
  });
  const fe = fieldErrors(save.error);
  // In the field's own unit: the server's rule is in cents ("at least 50"), the field in whole units of money.
  const priceError =
    touched && cents === null
      ? `Enter the price in ${currency} with at most 2 decimals, such as 45.00.`
      : (touched && priceBad) || fe.priceCents
        ? `The price must be between ${formatMoney(PRICE_MIN_CENTS, pkg?.currency)} and ${formatMoney(PRICE_MAX_CENTS, pkg?.currency)}.`
        : undefined;
  return (
    <Dialog title={pkg ? `Edit ${pkg.name}` : 'New package'} onClose={onClose}>
      <form className="stack" onSubmit={submit} noValidate>
        <Field label="Package name" value={name} onChange={(e) => setName(e.target.value)} required error={fe.name} />
        <div className="field-row">
          <CreditsField label="Credits" min="0" value={credits} onChange={setCredits} required error={fe.credits} />
          <CreditsField label="Bonus credits" min="0" value={bonus} onChange={setBonus} error={fe.bonusCredits} />
          <NumberField
            label={`Price (${currency})`}
            min="0"
            step="0.01"
            value={price}
            onChange={changeClearing(setPrice, save)}
            required
            error={priceError}
          />
        </div>
        <div className="field-row">
          <DaysField label="Credits expire after (days)" value={creditsDays} onChange={setCreditsDays} error={fe.creditsExpireInDays} />
          <DaysField label="Bonus expires after (days)" value={bonusDays} onChange={setBonusDays} error={fe.bonusExpireInDays} />
        </div>
        <CheckField label="Mark as most popular" checked={popular} onChange={setPopular} />
        {pkg ? <CheckField label="Active (offered to users)" checked={active} onChange={setActive} /> : null}
        <ErrorMessage
          error={save.error}
          inline={['name', 'credits', 'bonusCredits', 'priceCents', 'creditsExpireInDays', 'bonusExpireInDays']}
        />
        <DialogActions onCancel={onClose} submit={pkg ? 'Save package' : 'Create package'} busy={save.isPending} />
      </form>
    </Dialog>
  );
}
