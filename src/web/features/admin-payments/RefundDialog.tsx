import { useQueryClient } from '@tanstack/react-query';
import { useSubmitMutation } from '../../lib/submit-once';
import { useState } from 'react';
import { priceTextToCents } from '../../../contracts/money';
import type { Shape } from '../../../contracts/types';
import { api } from '../../api/client';
import { DialogActions } from '../../components/Actions';
import { Dialog, DialogDone } from '../../components/Dialog';
import { fieldErrors, NumberField } from '../../components/Field';
import { ErrorMessage } from '../../components/ui';
import { creditsText, formatMoney, humanize } from '../../lib/format';
import { keys } from '../../lib/query-keys';
import { changeClearing, onSubmit } from '../../lib/forms';

/** The dialog "Refund payment": the whole refundable amount by default, or part of it. */
export function RefundDialog({ payment, onClose }: { payment: Shape<'AdminPayment'>; onClose(): void }) {
  const remaining = payment.amountCents - payment.refundedCents;
  const [amount, setAmount] = useState((remaining / 100).toFixed(2));
  const [touched, setTouched] = useState(false);
  const currency = payment.currency.toUpperCase();
  // Read as text, exactly (no float rounds 1.005 to 1.01 unseen).
  const cents = priceTextToCents(amount);
  const queryClient = useQueryClient();
  const refund = useSubmitMutation({
    mutationFn: () => {
      if (cents === null) throw new Error('unreachable: the amount is checked before it is sent');
      return api('POST /api/admin/payments/:id/refund', {
        params: { id: payment.id },
        body: cents === remaining ? {} : { amountCents: cents },
        idempotent: true,
      });
    },
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: keys.admin.all }),
  });
  const localError =
    cents === null
      ? `Enter the amount in ${currency} with at most 2 decimals, such as 12.50.`
      : cents < 1 || cents > remaining
        ? `Enter an amount from ${formatMoney(1, payment.currency)} to ${formatMoney(remaining, payment.currency)}: at most ${formatMoney(remaining, payment.currency)} remains to refund.`
        : undefined;
  const submit = onSubmit(() => {
    setTouched(true);
    if (!localError) refund.mutate();
  });
  // The server's sentence ("At most $7.35 remains to refund.") rather than its field's fragment.
  const serverError = fieldErrors(refund.error).amountCents ? (refund.error as Error).message : undefined;
  return (
    <Dialog
      title="Refund payment"
      onClose={onClose}
      description={`${formatMoney(payment.amountCents, payment.currency)} for ${creditsText(payment.credits)}, ${formatMoney(remaining, payment.currency)} refundable. The matching share of the credits is taken back.`}
    >
      {refund.data ? (
        <DialogDone onClose={onClose}>Refund recorded; the payment is now {humanize(refund.data.payment.status).toLowerCase()}.</DialogDone>
      ) : (
        <form className="stack" onSubmit={submit} noValidate>
          <NumberField
            label={`Amount to refund (${currency})`}
            min="0.01"
            step="0.01"
            max={(remaining / 100).toFixed(2)}
            value={amount}
            onChange={changeClearing(setAmount, refund)}
            error={(touched ? localError : undefined) ?? serverError}
          />
          <ErrorMessage error={refund.error} inline={['amountCents']} />
          <DialogActions onCancel={onClose} submit="Confirm refund" busy={refund.isPending} danger />
        </form>
      )}
    </Dialog>
  );
}
