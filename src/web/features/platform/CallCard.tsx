import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { BodyOf } from '../../../contracts/endpoints';
import { api } from '../../api/client';
import { SubmitActions } from '../../components/Actions';
import { Field, fieldErrors, NumberField } from '../../components/Field';
import { ErrorMessage, Success } from '../../components/ui';
import { creditsText, formatCredits, formatDuration } from '../../lib/format';
import { onSubmit } from '../../lib/forms';
import { keys } from '../../lib/query-keys';
import { ActionCard, Price, useEstimate } from './parts';
import { useCharge } from './use-charge';

/** "Start call": the price to start and per minute; the start charge and the minutes held once started. */
export function CallCard() {
  const queryClient = useQueryClient();
  const [phone, setPhone] = useState('+15551234567');
  const [maxDuration, setMaxDuration] = useState('600');
  const perCall = useEstimate('vapi_call', 'per_call', 1);
  const perMinute = useEstimate('vapi_call', 'per_minute', 60);
  const start = useCharge((v: BodyOf<'POST /api/vapi/calls'>, idempotencyKey: string) =>
    api('POST /api/vapi/calls', { body: v, idempotent: true, idempotencyKey }),
  );

  const onStart = onSubmit(() => {
    const max = maxDuration === '' ? undefined : Number(maxDuration);
    start.mutate(max === undefined ? { phoneNumber: phone } : { phoneNumber: phone, maxDurationSeconds: max }, {
      onSettled: () => void queryClient.invalidateQueries({ queryKey: keys.calls.all }),
    });
  });

  const fe = fieldErrors(start.error);
  return (
    <ActionCard title="Voice call" description="Start an AI voice call; the minutes are held while it runs and settled when it ends.">
      <form className="stack" onSubmit={onStart} noValidate>
        <div className="field-row">
          <Field
            label="Phone number"
            type="tel"
            value={phone}
            onChange={(e) => setPhone(e.target.value)}
            placeholder="+15551234567"
            hint="In E.164 form, e.g. +15551234567."
            error={fe.phoneNumber}
          />
          <NumberField label="Max seconds" min="60" step="1" value={maxDuration} onChange={setMaxDuration} error={fe.maxDurationSeconds} />
        </div>
        <Price
          estimate={perCall}
          suffix={perMinute.data ? ` to start, then ${formatCredits(perMinute.data.cost)} per minute` : ' to start'}
        />
        <ErrorMessage error={start.error} inline={['phoneNumber', 'maxDurationSeconds']} />
        {start.data && !start.isPending ? (
          <Success>
            Call started (up to {formatDuration(start.data.call.maxDurationSeconds)}). Charged{' '}
            <strong>{creditsText(start.data.credits.charged)}</strong>; {creditsText(start.data.credits.reserved)} held for the minutes, so{' '}
            {formatCredits(start.data.credits.available)} available now. End it under Open calls.
          </Success>
        ) : null}
        <SubmitActions label="Start call" busy={start.isPending} />
      </form>
    </ActionCard>
  );
}
