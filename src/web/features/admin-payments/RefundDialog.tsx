import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { Shape } from '../../../contracts/types';
import { api } from '../../api/client';
import { DialogActions } from '../../components/Actions';
import { Dialog, DialogDone } from '../../components/Dialog';
import { fieldErrors, NumberField } from '../../components/Field';
import { ErrorMessage } from '../../components/ui';
import { formatCredits, formatMoney, humanize } from '../../lib/format';
import { keys } from '../../lib/query-keys';
import { onSubmit } from '../../lib/forms';

/** The dialog "Refund payment": the whole refundable amount by default, or part of it. */
export function RefundDialog({ payment, onClose }: { payment: Shape<'AdminPayment'>; onClose(): void }) {
  const remaining = payment.amountCents - payment.refundedCents;
  const [amount, setAmount] = useState((remaining / 100).toFixed(2));
  const queryClient = useQueryClient();
  const refund = useMutation({
    mutationFn: () => {
      const cents = Math.round(Number(amount) * 100);
      return api('POST /api/admin/payments/:id/refund', {
        params: { id: payment.id },
        body: cents === remaining ? {} : { amountCents: cents },
        idempotent: true,
      });
    },
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: keys.admin.all }),
  });
  const submit = onSubmit(() => refund.mutate());
  return (
    <Dialog
      title="Refund payment"
      onClose={onClose}
      description={`${formatMoney(payment.amountCents, payment.currency)} for ${formatCredits(payment.credits)} credits, ${formatMoney(remaining, payment.currency)} refundable. The matching share of the credits is taken back.`}
    >
      {refund.data ? (
        <DialogDone onClose={onClose}>Refund recorded; the payment is now {humanize(refund.data.payment.status).toLowerCase()}.</DialogDone>
      ) : (
        <form className="stack" onSubmit={submit} noValidate>
          <NumberField
            label="Amount to refund (USD)"
            min="0.01"
            step="0.01"
            max={(remaining / 100).toFixed(2)}
            value={amount}
            onChange={setAmount}
            error={fieldErrors(refund.error).amountCents}
          />
          <ErrorMessage error={refund.error} inline={['amountCents']} />
          <DialogActions onCancel={onClose} submit="Confirm refund" busy={refund.isPending} danger />
        </form>
      )}
    </Dialog>
  );
}
