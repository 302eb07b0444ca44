import { useState } from 'react';
import type { BodyOf } from '../../../contracts/endpoints';
import { api } from '../../api/client';
import { SubmitActions } from '../../components/Actions';
import { Field, fieldErrors } from '../../components/Field';
import { ErrorMessage } from '../../components/ui';
import { ActionCard, Charged, Price, useEstimate } from './parts';
import { useCharge } from './use-charge';
import { onSubmit } from '../../lib/forms';

/** "Send message": its price per message, and the charge once sent. */
export function MessageCard() {
  const [to, setTo] = useState('+15551234567');
  const [body, setBody] = useState('Hello! Are you available for a short interview this week?');
  const estimate = useEstimate('message', 'per_message', 1);
  const send = useCharge((v: BodyOf<'POST /api/messages'>, idempotencyKey: string) =>
    api('POST /api/messages', { body: v, idempotent: true, idempotencyKey }),
  );
  const submit = onSubmit(() => send.mutate({ to, body }));
  const fe = fieldErrors(send.error);
  return (
    <ActionCard title="Message" description="Send a message to a candidate.">
      <form className="stack" onSubmit={submit} noValidate>
        <Field label="To" value={to} onChange={(e) => setTo(e.target.value)} maxLength={320} error={fe.to} />
        <Field
          label="Message"
          multiline
          rows={3}
          value={body}
          onChange={(e) => setBody(e.target.value)}
          maxLength={10000}
          error={fe.body}
        />
        <Price estimate={estimate} suffix=" per message" />
        <ErrorMessage error={send.error} inline={['to', 'body']} />
        {send.data && !send.isPending ? <Charged credits={send.data.credits}>Message sent.</Charged> : null}
        <SubmitActions label="Send message" busy={send.isPending} />
      </form>
    </ActionCard>
  );
}
