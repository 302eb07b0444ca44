import { useQueryClient } from '@tanstack/react-query';
import { useSubmitMutation } from '../../lib/submit-once';
import { useState } from 'react';
import type { Shape } from '../../../contracts/types';
import { ApiError, api } from '../../api/client';
import { DialogActions } from '../../components/Actions';
import { Dialog, DialogDone } from '../../components/Dialog';
import { CreditsField, Field, fieldErrors } from '../../components/Field';
import { ErrorMessage } from '../../components/ui';
import { creditsText } from '../../lib/format';
import { onSubmit } from '../../lib/forms';
import { keys } from '../../lib/query-keys';

/** The end of a day picked in a date field ("2026-12-31"), in the viewer's time zone, as ISO-8601. */
function endOfDay(date: string): string {
  return new Date(`${date}T23:59:59.999`).toISOString();
}

/** Whose credits are adjusted: a user (their personal account) or an organisation. */
export type AdjustTarget =
  | { kind: 'user'; user: Shape<'AdminUser'> }
  | { kind: 'organization'; org: { id: string; name: string; available: number } };

/**
 * The dialog "Adjust credits": a signed amount, a required reason and, for credits given, an
 * optional "Expires at" day (the credits expire at its end); written as an adjustment and
 * audited, on a user's account or an organisation's.
 */
export function AdjustCreditsDialog({ target, onClose }: { target: AdjustTarget; onClose(): void }) {
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const [expires, setExpires] = useState('');
  const [touched, setTouched] = useState(false);
  const queryClient = useQueryClient();
  const adjust = useSubmitMutation({
    mutationFn: () => {
      const body = { amount: Number(amount), reason: reason.trim(), ...(expires ? { expiresAt: endOfDay(expires) } : {}) };
      return target.kind === 'user'
        ? api('POST /api/admin/users/:id/adjustments', { params: { id: target.user.id }, body, idempotent: true })
        : api('POST /api/admin/organizations/:id/adjustments', { params: { id: target.org.id }, body, idempotent: true });
    },
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: keys.admin.all });
    },
  });
  const amountNum = Number(amount);
  const amountBad = amount.trim() === '' || !Number.isFinite(amountNum) || amountNum === 0;
  const server = fieldErrors(adjust.error);
  const amountError = touched && amountBad ? 'Enter a non-zero amount; negative to debit.' : (server.amount ?? null);
  const reasonError = touched && reason.trim() === '' ? 'A reason is required.' : (server.reason ?? null);
  const expiresBad = expires !== '' && (Number.isNaN(Date.parse(`${expires}T00:00:00`)) || (!amountBad && amountNum < 0));
  const expiresError =
    touched && expiresBad
      ? amountNum < 0
        ? 'Only credits given (a positive amount) can expire.'
        : 'Enter a valid date.'
      : (server.expiresAt ?? null);
  const submit = onSubmit(() => {
    setTouched(true);
    if (!amountBad && reason.trim() !== '' && !expiresBad) adjust.mutate();
  });
  const who = target.kind === 'user' ? target.user.name : target.org.name;
  const description =
    target.kind === 'user'
      ? `${target.user.name} <${target.user.email}> has ${creditsText(target.user.available)} available.`
      : `The organisation ${target.org.name} has ${creditsText(target.org.available)} available.`;
  return (
    <Dialog title="Adjust credits" onClose={onClose} description={description}>
      {adjust.data ? (
        <DialogDone onClose={onClose}>
          Adjustment applied. {who} now has {creditsText(adjust.data.balance.available ?? 0)} available.
        </DialogDone>
      ) : (
        <form className="stack" onSubmit={submit} noValidate>
          <CreditsField
            label="Amount (credits)"
            value={amount}
            onChange={setAmount}
            hint={amountError ? undefined : 'Positive to grant, negative to take credits away.'}
            error={amountError}
            data-autofocus
          />
          <Field label="Reason" required maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} error={reasonError} />
          <Field
            label="Expires at"
            type="date"
            value={expires}
            onChange={(e) => setExpires(e.target.value)}
            hint={expiresError ? undefined : 'Optional, for credits given: they expire at the end of this day. Blank: never.'}
            error={expiresError}
          />
          {adjust.error instanceof ApiError && adjust.error.status === 402 ? (
            // Not the user's "You need more credits": the admin is told what the account holds.
            <div className="notice notice-error" role="alert">
              <p>
                {who} has only {creditsText(Number(adjust.error.details?.available ?? 0))} available: a debit cannot take the available
                credits below zero.
              </p>
            </div>
          ) : (
            <ErrorMessage error={adjust.error} inline={['amount', 'reason', 'expiresAt']} />
          )}
          <DialogActions onCancel={onClose} submit={adjust.isPending ? 'Applying…' : 'Apply adjustment'} busy={adjust.isPending} />
        </form>
      )}
    </Dialog>
  );
}
