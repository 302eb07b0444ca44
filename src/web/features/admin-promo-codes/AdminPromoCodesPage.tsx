import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import type { RequestOf } from '../../../contracts/endpoints';
import { ApiError, api } from '../../api/client';
import { DialogActions } from '../../components/Actions';
import { DataTable } from '../../components/DataTable';
import { Dialog } from '../../components/Dialog';
import { Field, fieldErrors } from '../../components/Field';
import { QueryStatus } from '../../components/QueryStatus';
import { Badge, ErrorMessage } from '../../components/ui';
import { formatCredits, formatDate } from '../../lib/format';
import { onSubmit } from '../../lib/forms';
import { keys } from '../../lib/query-keys';

/** The end of a day picked in a date field, in the admin's time zone: a code is valid through that day. */
function endOfDay(date: string): string {
  return new Date(`${date}T23:59:59.999`).toISOString();
}

const whole = (v: string) => (v.trim() === '' ? null : Number(v));

/** `/admin/promo-codes`: every promo code with its redemptions and whether it can still be redeemed; "New promo code" makes one. */
export function AdminPromoCodesPage() {
  const h = useId();
  const [creating, setCreating] = useState(false);
  const list = useQuery({ queryKey: keys.admin.promoCodes, queryFn: ({ signal }) => api('GET /api/admin/promo-codes', { signal }) });
  const items = list.data?.items ?? [];
  return (
    <section className="card" aria-labelledby={h}>
      <div className="card-head">
        <h2 id={h}>Promo codes</h2>
        <button type="button" className="button button-primary button-small" onClick={() => setCreating(true)}>
          New promo code
        </button>
      </div>
      <p className="muted">
        Each account may redeem a code once, on its credits page (“Promo code”); the credits are a promotional grant, spent before paid
        credits, worth nothing in the liability.
      </p>
      <QueryStatus query={list} count={items.length} empty="No promo codes yet." />
      <DataTable
        stack
        caption="Promo codes"
        rows={items}
        rowClassName={(p) => (p.available ? '' : 'row-inactive')}
        columns={[
          { header: 'Code', cellClassName: 'stack-title', cell: (p) => <code>{p.code}</code> },
          { header: 'Credits', cellClassName: 'num', cell: (p) => formatCredits(p.credits) },
          { header: 'Credits last', cell: (p) => (p.expiresInDays === null ? 'Never expire' : `${p.expiresInDays} days`) },
          {
            header: 'Redemptions',
            cellClassName: 'num',
            cell: (p) => (p.maxRedemptions === null ? String(p.redemptions) : `${p.redemptions} of ${p.maxRedemptions}`),
          },
          { header: 'Valid until', cellClassName: 'nowrap', cell: (p) => (p.validUntil ? formatDate(p.validUntil) : 'No end') },
          {
            header: 'Status',
            cell: (p) => (p.available ? <Badge tone="ok">Available</Badge> : <Badge tone="neutral">Unavailable</Badge>),
          },
        ]}
      />
      {creating ? <NewPromoCodeDialog onClose={() => setCreating(false)} /> : null}
    </section>
  );
}

/** Makes a code; the server's refusals (0 credits, a taken code, a past day) are shown under their fields. */
function NewPromoCodeDialog({ onClose }: { onClose(): void }) {
  const [code, setCode] = useState('');
  const [credits, setCredits] = useState('');
  const [days, setDays] = useState('');
  const [max, setMax] = useState('');
  const [until, setUntil] = useState('');
  const queryClient = useQueryClient();
  const create = useMutation({
    mutationFn: (body: RequestOf<'POST /api/admin/promo-codes'>['body']) => api('POST /api/admin/promo-codes', { body }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: keys.admin.promoCodes });
      onClose();
    },
  });
  const fe = fieldErrors(create.error);
  const taken = create.error instanceof ApiError && create.error.code === 'conflict' ? 'This code exists already.' : null;
  return (
    <Dialog title="New promo code" onClose={onClose}>
      <form
        className="stack"
        noValidate
        onSubmit={onSubmit(() =>
          create.mutate({
            code: code.trim(),
            credits: Number(credits),
            expiresInDays: whole(days),
            maxRedemptions: whole(max),
            validUntil: until ? endOfDay(until) : null,
          }),
        )}
      >
        <Field
          label="Code"
          value={code}
          onChange={(e) => setCode(e.target.value)}
          required
          autoComplete="off"
          hint="3 to 40 letters, digits, - or _; people may type it in any case."
          error={fe.code ?? taken}
        />
        <Field
          label="Credits"
          inputMode="decimal"
          value={credits}
          onChange={(e) => setCredits(e.target.value)}
          required
          error={fe.credits}
        />
        <Field
          label="Credits expire after (days)"
          inputMode="numeric"
          value={days}
          onChange={(e) => setDays(e.target.value)}
          hint="Counted from each redemption. Blank: never."
          error={fe.expiresInDays}
        />
        <Field
          label="Maximum redemptions"
          inputMode="numeric"
          value={max}
          onChange={(e) => setMax(e.target.value)}
          hint="Accounts in all. Blank: no limit."
          error={fe.maxRedemptions}
        />
        <Field
          label="Valid until"
          type="date"
          value={until}
          onChange={(e) => setUntil(e.target.value)}
          hint="The last day it can be redeemed (to its end). Blank: no end."
          error={fe.validUntil}
        />
        <ErrorMessage error={taken ? null : create.error} inline={['code', 'credits', 'expiresInDays', 'maxRedemptions', 'validUntil']} />
        <DialogActions onCancel={onClose} submit={create.isPending ? 'Creating…' : 'Create promo code'} busy={create.isPending} />
      </form>
    </Dialog>
  );
}
