import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useSubmitMutation } from '../../lib/submit-once';
import { useId, useState } from 'react';
import type { ResponseOf } from '../../../contracts/endpoints';
import type { Shape } from '../../../contracts/types';
import { api } from '../../api/client';
import { SubmitActions } from '../../components/Actions';
import { Card } from '../../components/Card';
import { fieldErrors, NumberField } from '../../components/Field';
import { Badge, Empty, ErrorMessage, Loading, Success } from '../../components/ui';
import { useConfig } from '../../lib/config';
import { creditsText, formatDate, formatDuration } from '../../lib/format';
import { keys } from '../../lib/query-keys';
import { Charged, Price, useEstimate } from './parts';
import { changeClearing, onSubmit } from '../../lib/forms';
import { LoadError } from '../../components/QueryStatus';

type EndAnswer = ResponseOf<'POST /api/vapi/calls/:id/end'>;

function useOpenCalls() {
  return useQuery({
    queryKey: keys.calls.open,
    queryFn: ({ signal }) => api('GET /api/vapi/calls', { query: { status: 'open', limit: 50 }, signal }),
    select: (d) => d.items,
    // Calls VAPI has queued (or not confirmed), or is ending, change on VAPI's side: look again until they settle.
    refetchInterval: (q) => (q.state.data?.items.some((c) => c.status !== 'in-progress') ? 3000 : false),
  });
}

const STATUS_TEXT: Record<Shape<'Call'>['status'], string> = {
  queued: 'Queued: not talking yet',
  'in-progress': 'In progress',
  ending: 'Ending',
  ended: 'Ended',
  failed: 'Failed',
};

const HANGING_UP = "VAPI was asked to hang up; the call is charged from VAPI's own figures once it reports the end.";

function OpenCall({ call, simulated, onEnded }: { call: Shape<'Call'>; simulated: boolean; onEnded: (a: EndAnswer) => void }) {
  const id = useId();
  const queryClient = useQueryClient();
  const [duration, setDuration] = useState('90');
  const durationNum = duration === '' ? null : Number(duration);
  // A call lasts at most its maximum: a longer duration is settled (and so estimated) as the maximum.
  const capped = durationNum !== null && durationNum > call.maxDurationSeconds;
  const estimate = useEstimate(
    'vapi_call',
    'per_minute',
    simulated && durationNum !== null ? Math.min(durationNum, call.maxDurationSeconds) : null,
  );
  // One request at a time: a double click must not send a second end.
  const end = useSubmitMutation({
    mutationFn: (body: { durationSeconds?: number }) =>
      api('POST /api/vapi/calls/:id/end', { params: { id: call.id }, body, idempotent: true }),
    onSuccess: onEnded,
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: keys.balance });
      void queryClient.invalidateQueries({ queryKey: keys.calls.all });
    },
  });
  const onEnd = onSubmit(() => end.mutate(simulated && durationNum !== null ? { durationSeconds: durationNum } : {}));
  return (
    <article className="tile open-call" aria-labelledby={`${id}-t`}>
      <div className="open-call-head">
        <h3 id={`${id}-t`}>Call to {call.phoneNumber}</h3>
        <Badge tone={call.status === 'in-progress' ? 'accent' : 'warn'}>{STATUS_TEXT[call.status]}</Badge>
      </div>
      <p className="muted small">
        Started {formatDate(call.startedAt)} · up to {formatDuration(call.maxDurationSeconds)} · {creditsText(call.reserved)} held
      </p>
      {call.status === 'ending' ? (
        <p className="small">{HANGING_UP}</p>
      ) : (
        <form className="stack" onSubmit={onEnd} noValidate>
          {simulated ? (
            <NumberField
              label="Call duration (seconds)"
              min="0"
              step="0.001"
              value={duration}
              onChange={changeClearing(setDuration, end)}
              hint={capped ? `A call lasts at most ${formatDuration(call.maxDurationSeconds)}: it is settled as that long.` : undefined}
              error={fieldErrors(end.error).durationSeconds}
            />
          ) : null}
          {simulated ? <Price estimate={estimate} label="Minutes cost" /> : null}
          <ErrorMessage error={end.error} inline={['durationSeconds']} />
          <SubmitActions label="End call" busy={end.isPending} plain />
        </form>
      )}
    </article>
  );
}

/** "Open calls": the calls not yet settled, each with "End call", also after a reload. */
export function OpenCalls() {
  const config = useConfig();
  const calls = useOpenCalls();
  const simulated = config.data?.callsSimulated ?? true;
  const [ended, setEnded] = useState<EndAnswer | null>(null);
  return (
    <Card title="Open calls" className="open-calls-card" id="open-calls" actions={null}>
      <p className="muted">
        Calls not yet settled.{' '}
        {simulated ? 'Calls are simulated here: say how long one lasted when you end it.' : 'Ending one asks VAPI to hang up.'}
      </p>
      {calls.isPending ? (
        <Loading label="Loading calls…" />
      ) : calls.isError ? (
        <LoadError query={calls} />
      ) : calls.data.length === 0 ? (
        <Empty>No open calls.</Empty>
      ) : (
        <div className="open-calls">
          {calls.data.map((c) => (
            <OpenCall key={c.id} call={c} simulated={simulated} onEnded={setEnded} />
          ))}
        </div>
      )}
      {ended === null ? null : 'credits' in ended && !ended.settled ? (
        <Success>
          This call had already ended after {formatDuration(ended.call.durationSeconds)} (in another tab or window); nothing more was
          charged.
        </Success>
      ) : 'credits' in ended ? (
        <Charged credits={ended.credits}>
          Call ended after {formatDuration(ended.call.durationSeconds)}; the rest of the hold was released.
        </Charged>
      ) : (
        <Success>{HANGING_UP}</Success>
      )}
    </Card>
  );
}
