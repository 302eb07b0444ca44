import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useSubmitMutation } from '../../lib/submit-once';
import { type InputHTMLAttributes, useState } from 'react';
import type { RequestOf } from '../../../contracts/endpoints';
import { ApiError, api } from '../../api/client';
import { DialogActions, DialogButton, SmallButton } from '../../components/Actions';
import type { Column } from '../../components/DataTable';
import { Card } from '../../components/Card';
import { DialogForm } from '../../components/Dialog';
import { Field, fieldErrors } from '../../components/Field';
import { PagedTable } from '../../components/QueryTable';
import { Badge, ErrorMessage } from '../../components/ui';
import { formatCredits, formatDate } from '../../lib/format';
import type { ItemOf } from '../../lib/paged';
import { keys } from '../../lib/query-keys';

/** The end of a day picked in a date field, in the admin's time zone: a code is valid through that day. */
function endOfDay(date: string): string {
  return new Date(`${date}T23:59:59.999`).toISOString();
}

const whole = (v: string) => (v.trim() === '' ? null : Number(v));

type PromoCode = ItemOf<'GET /api/admin/promo-codes'>;

const COLUMNS: readonly Column<PromoCode>[] = [
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
    cell: (p) =>
      !p.active ? (
        <Badge tone="neutral">Deactivated</Badge>
      ) : p.available ? (
        <Badge tone="ok">Available</Badge>
      ) : (
        <Badge tone="neutral">Unavailable</Badge>
      ),
  },
];

/**
 * `/admin/promo-codes`: the promo codes, newest first, page after page ("Load more"), with their
 * redemptions and whether they can still be redeemed; "New promo code" makes one, "Deactivate"
 * stops one from being redeemed ("Reactivate" undoes it).
 */
export function AdminPromoCodesPage() {
  const queryClient = useQueryClient();
  const toggle = useMutation({
    mutationFn: ({ id, active }: { id: string; active: boolean }) =>
      api('PATCH /api/admin/promo-codes/:id', { params: { id }, body: { active } }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: keys.admin.promoCodes }),
  });
  return (
    <Card
      title="Promo codes"
      actions={<DialogButton dialog={(close) => <NewPromoCodeDialog onClose={close} />}>New promo code</DialogButton>}
    >
      <p className="muted">
        Each account may redeem a code once, on its credits page (“Promo code”); the credits are a promotional grant, spent before paid
        credits, worth nothing in the liability.
      </p>
      <PagedTable
        endpoint="GET /api/admin/promo-codes"
        query={{ limit: 50 }}
        empty="No promo codes yet."
        caption="Promo codes"
        rowClassName={(p) => (p.available ? '' : 'row-inactive')}
        columns={COLUMNS}
        actions={(p) => (
          <SmallButton
            label={`${p.active ? 'Deactivate' : 'Reactivate'} ${p.code}`}
            disabled={toggle.isPending && toggle.variables?.id === p.id}
            onClick={() => toggle.mutate({ id: p.id, active: !p.active })}
          >
            {p.active ? 'Deactivate' : 'Reactivate'}
          </SmallButton>
        )}
      >
        <ErrorMessage error={toggle.error} />
      </PagedTable>
    </Card>
  );
}

type PromoField = 'code' | 'credits' | 'expiresInDays' | 'maxRedemptions' | 'validUntil';

/** The fields of "New promo code", in order, by the body's field each fills (its value kept as typed). */
const FIELDS: readonly { name: PromoField; label: string; input: InputHTMLAttributes<HTMLInputElement>; hint?: string }[] = [
  {
    name: 'code',
    label: 'Code',
    input: { required: true, autoComplete: 'off' },
    hint: '3 to 40 letters, digits, - or _; people may type it in any case.',
  },
  { name: 'credits', label: 'Credits', input: { inputMode: 'decimal', required: true } },
  {
    name: 'expiresInDays',
    label: 'Credits expire after (days)',
    input: { inputMode: 'numeric' },
    hint: 'Counted from each redemption. Blank: never.',
  },
  { name: 'maxRedemptions', label: 'Maximum redemptions', input: { inputMode: 'numeric' }, hint: 'Accounts in all. Blank: no limit.' },
  {
    name: 'validUntil',
    label: 'Valid until',
    input: { type: 'date' },
    hint: 'The last day it can be redeemed (to its end). Blank: no end.',
  },
];

/** Makes a code; the server's refusals (0 credits, a taken code, a past day) are shown under their fields. */
function NewPromoCodeDialog({ onClose }: { onClose(): void }) {
  const [v, setV] = useState<Record<PromoField, string>>({ code: '', credits: '', expiresInDays: '', maxRedemptions: '', validUntil: '' });
  const queryClient = useQueryClient();
  const create = useSubmitMutation({
    mutationFn: (body: RequestOf<'POST /api/admin/promo-codes'>['body']) => api('POST /api/admin/promo-codes', { body }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: keys.admin.promoCodes });
      onClose();
    },
  });
  const fe = fieldErrors(create.error);
  const taken = create.error instanceof ApiError && create.error.code === 'conflict' ? 'This code exists already.' : null;
  const submit = () =>
    create.mutate({
      code: v.code.trim(),
      credits: Number(v.credits),
      expiresInDays: whole(v.expiresInDays),
      maxRedemptions: whole(v.maxRedemptions),
      validUntil: v.validUntil ? endOfDay(v.validUntil) : null,
    });
  return (
    <DialogForm title="New promo code" onClose={onClose} onSubmit={submit}>
      {FIELDS.map((f) => (
        <Field
          key={f.name}
          label={f.label}
          {...f.input}
          hint={f.hint}
          value={v[f.name]}
          onChange={(e) => setV({ ...v, [f.name]: e.target.value })}
          error={fe[f.name] ?? (f.name === 'code' ? taken : undefined)}
        />
      ))}
      <ErrorMessage error={taken ? null : create.error} inline={FIELDS.map((f) => f.name)} />
      <DialogActions onCancel={onClose} submit={create.isPending ? 'Creating…' : 'Create promo code'} busy={create.isPending} />
    </DialogForm>
  );
}
