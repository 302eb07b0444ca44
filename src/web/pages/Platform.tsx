import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useId, useState } from 'react';
import { api, get, post, postMoney, qs } from '../api/client';
import type { Call, CallStatus, ChargeInfo, Estimate } from '../api/types';
import { Field, fieldErrors } from '../components/Field';
import { Badge, Empty, ErrorMessage, Loading, Success } from '../components/ui';
import { creditsText, formatCredits, formatDate } from '../lib/format';
import { useConfig } from '../queries';

function useEstimate(operation: string, unit: string, quantity: number | null) {
  return useQuery({
    queryKey: ['estimate', operation, unit, quantity],
    queryFn: () => post<Estimate>('/api/credits/estimate', { operation, unit, quantity }),
    enabled: quantity !== null && Number.isFinite(quantity) && quantity >= 0,
    staleTime: 30_000,
    placeholderData: (prev) => prev,
  });
}

function Price({ estimate, suffix, label = 'Price' }: { estimate: ReturnType<typeof useEstimate>; suffix?: ReactNode; label?: string }) {
  const e = estimate.data;
  return (
    <p className="price-line">
      <span className="price-label">{label}</span>{' '}
      {e ? (
        <>
          <strong>{creditsText(e.cost)}</strong>
          {suffix}
          {!e.allowed ? <span className="price-warn"> · more than your {formatCredits(e.available)} available</span> : null}
        </>
      ) : estimate.isError ? (
        <span className="muted">unavailable</span>
      ) : (
        <span className="muted">…</span>
      )}
    </p>
  );
}

function Charged({ credits, children }: { credits: ChargeInfo | undefined; children?: ReactNode }) {
  if (!credits) return null;
  return (
    <Success>
      {children} Charged <strong>{creditsText(credits.charged)}</strong>; balance now {formatCredits(credits.balance)}.
    </Success>
  );
}

function ActionCard({ title, description, children }: { title: string; description: string; children: ReactNode }) {
  const h = useId();
  return (
    <section className="card action-card" aria-labelledby={h}>
      <h2 id={h}>{title}</h2>
      <p className="muted">{description}</p>
      {children}
    </section>
  );
}

function useCharge<TVars, TAnswer extends { credits: ChargeInfo }>(fn: (v: TVars) => Promise<TAnswer>) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: ['balance'] });
      void queryClient.invalidateQueries({ queryKey: ['estimate'] });
    },
  });
}

function MessageCard() {
  const [to, setTo] = useState('+15551234567');
  const [body, setBody] = useState('Hello! Are you available for a short interview this week?');
  const estimate = useEstimate('message', 'per_message', 1);
  const send = useCharge((v: { to: string; body: string }) => postMoney<{ message: { id: string; status: string }; credits: ChargeInfo }>('/api/messages', v));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    send.mutate({ to, body });
  };
  const fe = fieldErrors(send.error);
  return (
    <ActionCard title="Message" description="Send a message to a candidate.">
      <form className="stack" onSubmit={submit} noValidate>
        <Field label="To" value={to} onChange={(e) => setTo(e.target.value)} maxLength={320} error={fe.to} />
        <Field label="Message" multiline rows={3} value={body} onChange={(e) => setBody(e.target.value)} maxLength={10000} error={fe.body} />
        <Price estimate={estimate} suffix=" per message" />
        <ErrorMessage error={send.error} inline={['to', 'body']} />
        {send.data && !send.isPending ? <Charged credits={send.data.credits}>Message sent.</Charged> : null}
        <div className="actions">
          <button type="submit" className="button button-primary" disabled={send.isPending}>
            Send message
          </button>
        </div>
      </form>
    </ActionCard>
  );
}

interface CallAnswer {
  call: { id: string; status: CallStatus; maxDurationSeconds: number };
  credits: ChargeInfo & { reserved: number };
}
type EndAnswer =
  | { call: { id: string; status: 'ended' | 'failed'; durationSeconds: number }; credits: ChargeInfo; settled: boolean }
  | { call: { id: string; status: 'ending' } };

const OPEN_CALLS = ['calls', 'open'] as const;

function useOpenCalls() {
  return useQuery({
    queryKey: OPEN_CALLS,
    queryFn: ({ signal }) => get<{ items: Call[]; nextCursor: string | null }>(`/api/vapi/calls${qs({ status: 'open', limit: 50 })}`, signal),
    select: (d) => d.items,
    // Calls VAPI is ending (or has not confirmed) change on VAPI's side: look again until they settle.
    refetchInterval: (q) => (q.state.data?.items.some((c) => c.status !== 'in-progress') ? 3000 : false),
  });
}

function CallCard() {
  const queryClient = useQueryClient();
  const [phone, setPhone] = useState('+15551234567');
  const [maxDuration, setMaxDuration] = useState('600');
  const perCall = useEstimate('vapi_call', 'per_call', 1);
  const perMinute = useEstimate('vapi_call', 'per_minute', 60);
  const start = useCharge((v: { phoneNumber: string; maxDurationSeconds?: number }) => postMoney<CallAnswer>('/api/vapi/calls', v));

  const onStart = (e: FormEvent) => {
    e.preventDefault();
    const max = maxDuration === '' ? undefined : Number(maxDuration);
    start.mutate(max === undefined ? { phoneNumber: phone } : { phoneNumber: phone, maxDurationSeconds: max }, {
      onSettled: () => void queryClient.invalidateQueries({ queryKey: ['calls'] }),
    });
  };

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
          <Field label="Max seconds" type="number" min="60" step="1" value={maxDuration} onChange={(e) => setMaxDuration(e.target.value)} error={fe.maxDurationSeconds} />
        </div>
        <Price estimate={perCall} suffix={perMinute.data ? ` to start, then ${formatCredits(perMinute.data.cost)} per minute` : ' to start'} />
        <ErrorMessage error={start.error} inline={['phoneNumber', 'maxDurationSeconds']} />
        {start.data && !start.isPending ? (
          <Success>
            Call started (up to {start.data.call.maxDurationSeconds} s). Charged <strong>{creditsText(start.data.credits.charged)}</strong>;{' '}
            {creditsText(start.data.credits.reserved)} held for the minutes. End it under Open calls.
          </Success>
        ) : null}
        <div className="actions">
          <button type="submit" className="button button-primary" disabled={start.isPending}>
            Start call
          </button>
        </div>
      </form>
    </ActionCard>
  );
}

const STATUS_TEXT: Record<CallStatus, string> = {
  queued: 'Not confirmed by VAPI yet',
  'in-progress': 'In progress',
  ending: 'Ending',
  ended: 'Ended',
  failed: 'Failed',
};

function OpenCall({ call, simulated, onEnded }: { call: Call; simulated: boolean; onEnded: (a: EndAnswer) => void }) {
  const id = useId();
  const queryClient = useQueryClient();
  const [duration, setDuration] = useState('90');
  const durationNum = duration === '' ? null : Number(duration);
  const estimate = useEstimate('vapi_call', 'per_minute', simulated ? durationNum : null);
  const end = useMutation({
    mutationFn: (v: { durationSeconds?: number }) => post<EndAnswer>(`/api/vapi/calls/${encodeURIComponent(call.id)}/end`, v),
    onSuccess: onEnded,
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: ['balance'] });
      void queryClient.invalidateQueries({ queryKey: ['calls'] });
    },
  });
  const onEnd = (e: FormEvent) => {
    e.preventDefault();
    end.mutate(simulated && durationNum !== null ? { durationSeconds: durationNum } : {});
  };
  return (
    <article className="open-call" aria-labelledby={`${id}-t`}>
      <div className="open-call-head">
        <h3 id={`${id}-t`}>Call to {call.phoneNumber}</h3>
        <Badge tone={call.status === 'in-progress' ? 'accent' : 'warn'}>{STATUS_TEXT[call.status]}</Badge>
      </div>
      <p className="muted small">
        Started {formatDate(call.startedAt)} · up to {call.maxDurationSeconds} s · {creditsText(call.reserved)} held
      </p>
      {call.status === 'ending' ? (
        <p className="small">VAPI was asked to hang up; the call is charged from VAPI&apos;s own figures once it reports the end.</p>
      ) : (
        <form className="stack" onSubmit={onEnd} noValidate>
          {simulated ? (
            <Field
              label="Call duration (seconds)"
              type="number"
              min="0"
              step="0.001"
              value={duration}
              onChange={(e) => setDuration(e.target.value)}
              error={fieldErrors(end.error).durationSeconds}
            />
          ) : null}
          {simulated ? <Price estimate={estimate} label="Minutes cost" /> : null}
          <ErrorMessage error={end.error} inline={['durationSeconds']} />
          <div className="actions">
            <button type="submit" className="button" disabled={end.isPending}>
              End call
            </button>
          </div>
        </form>
      )}
    </article>
  );
}

function OpenCalls() {
  const h = useId();
  const config = useConfig();
  const calls = useOpenCalls();
  const simulated = config.data?.callsSimulated ?? true;
  const [ended, setEnded] = useState<EndAnswer | null>(null);
  return (
    <section className="card open-calls-card" aria-labelledby={h}>
      <div className="card-head">
        <h2 id={h}>Open calls</h2>
      </div>
      <p className="muted">Calls not yet settled. {simulated ? 'Calls are simulated here: say how long one lasted when you end it.' : 'Ending one asks VAPI to hang up.'}</p>
      {calls.isPending ? (
        <Loading label="Loading calls…" />
      ) : calls.isError ? (
        <ErrorMessage error={calls.error} />
      ) : calls.data.length === 0 ? (
        <Empty>No open calls.</Empty>
      ) : (
        <div className="open-calls">
          {calls.data.map((c) => (
            <OpenCall key={c.id} call={c} simulated={simulated} onEnded={setEnded} />
          ))}
        </div>
      )}
      {ended === null ? null : 'credits' in ended ? (
        <Charged credits={ended.credits}>
          Call ended after {ended.call.durationSeconds} s; the rest of the hold was released.
        </Charged>
      ) : (
        <Success>VAPI was asked to hang up; the call is charged from VAPI&apos;s own figures once it reports the end.</Success>
      )}
    </section>
  );
}

function FileCard() {
  const [file, setFile] = useState<File | null>(null);
  const estimate = useEstimate('file_upload', 'per_mb', file ? file.size : 1_048_576);
  const upload = useCharge((f: File) => {
    const form = new FormData();
    form.append('file', f, f.name);
    return api<{ file: { id: string; name: string; size: number }; credits: ChargeInfo }>('/api/files', { method: 'POST', body: form, idempotent: true });
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (file) upload.mutate(file);
  };
  return (
    <ActionCard title="File" description="Upload a resume or document for processing, priced by size.">
      <form className="stack" onSubmit={submit} noValidate>
        <Field
          label="File"
          type="file"
          onChange={(e) => {
            setFile(e.target.files?.[0] ?? null);
            upload.reset();
          }}
          error={fieldErrors(upload.error).file}
        />
        <Price estimate={estimate} suffix={file ? ` for ${(file.size / 1_048_576).toFixed(2)} MB` : ' per MB'} />
        <ErrorMessage error={upload.error} inline={['file']} />
        {upload.data && !upload.isPending ? <Charged credits={upload.data.credits}>Uploaded {upload.data.file.name}.</Charged> : null}
        <div className="actions">
          <button type="submit" className="button button-primary" disabled={!file || upload.isPending}>
            Upload file
          </button>
        </div>
      </form>
    </ActionCard>
  );
}

function WorkflowCard() {
  const [workflow, setWorkflow] = useState('candidate-screening');
  const estimate = useEstimate('workflow', 'per_execution', 1);
  const run = useCharge((w: string) =>
    postMoney<{ execution: { id: string; workflowId: string; status: string }; credits: ChargeInfo }>(`/api/workflows/${encodeURIComponent(w)}/execute`, { input: {} }),
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    run.mutate(workflow);
  };
  return (
    <ActionCard title="Workflow" description="Run an automation workflow once.">
      <form className="stack" onSubmit={submit} noValidate>
        <Field label="Workflow id" value={workflow} onChange={(e) => setWorkflow(e.target.value)} pattern="[A-Za-z0-9_-]{1,100}" error={fieldErrors(run.error).id} />
        <Price estimate={estimate} suffix=" per run" />
        <ErrorMessage error={run.error} inline={['id']} />
        {run.data && !run.isPending ? <Charged credits={run.data.credits}>Workflow {run.data.execution.status}.</Charged> : null}
        <div className="actions">
          <button type="submit" className="button button-primary" disabled={run.isPending || !workflow}>
            Run workflow
          </button>
        </div>
      </form>
    </ActionCard>
  );
}

export function PlatformPage() {
  return (
    <div className="page">
      <div className="page-head">
        <h1>Platform</h1>
        <p className="muted">Every operation shows its price before you run it and its charge after.</p>
      </div>
      <div className="grid grid-actions">
        <MessageCard />
        <CallCard />
        <FileCard />
        <WorkflowCard />
        <OpenCalls />
      </div>
    </div>
  );
}
