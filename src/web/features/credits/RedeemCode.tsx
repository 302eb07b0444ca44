import { useQueryClient } from '@tanstack/react-query';
import { useSubmitMutation } from '../../lib/submit-once';
import { useState } from 'react';
import type { ResponseOf } from '../../../contracts/endpoints';
import { api } from '../../api/client';
import { fieldErrors, TextField } from '../../components/Field';
import { ErrorMessage } from '../../components/ui';
import { creditsText, formatDate } from '../../lib/format';
import { onSubmit } from '../../lib/forms';
import { BALANCE_FOLLOWERS, keys } from '../../lib/query-keys';

type Redeemed = ResponseOf<'POST /api/credits/redeem'>;

/**
 * "Redeem a code" on the balance card: the "Promo code" field and its "Redeem" button. A code
 * adds its credits once per account (the server says why not otherwise: unknown, already
 * redeemed, no longer valid or used up); what it added, and when it expires, is said here.
 */
export function RedeemCode() {
  const [code, setCode] = useState('');
  const [done, setDone] = useState<Redeemed | null>(null);
  const queryClient = useQueryClient();
  const redeem = useSubmitMutation({
    mutationFn: (c: string) => api('POST /api/credits/redeem', { body: { code: c }, idempotent: true }),
    onMutate: () => setDone(null),
    onSuccess: (r) => {
      setDone(r);
      setCode('');
      void queryClient.invalidateQueries({ queryKey: keys.balance });
      for (const k of BALANCE_FOLLOWERS) void queryClient.invalidateQueries({ queryKey: k });
    },
  });
  const fe = fieldErrors(redeem.error);
  return (
    <form className="redeem-code" aria-label="Redeem a code" onSubmit={onSubmit(() => redeem.mutate(code.trim()))} noValidate>
      <div className="inline-form">
        <TextField label="Promo code" value={code} onChange={setCode} autoComplete="off" spellCheck={false} error={fe.code} />
        <button type="submit" className="button" disabled={redeem.isPending || code.trim() === ''}>
          {redeem.isPending ? 'Redeeming…' : 'Redeem'}
        </button>
      </div>
      <ErrorMessage error={redeem.error} inline={['code']} />
      {done ? (
        <p className="notice notice-success" role="status">
          {creditsText(done.grant.credits)} added
          {done.grant.expiresAt
            ? `; ${done.grant.credits === 1 ? 'it expires' : 'they expire'} on ${formatDate(done.grant.expiresAt)}`
            : ''}
          .
        </p>
      ) : null}
    </form>
  );
}
