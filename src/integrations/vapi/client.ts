/**
 * VAPI over HTTP, implementing core's CallProvider: POST /call places an outbound call
 * (named by our call id, so it can be found again), GET /call/:id reads one, GET /call
 * lists them, and a POST of `{"type":"end-call"}` to the call's `monitor.controlUrl` hangs
 * it up. A simulated twin is used when no API key is configured.
 */
import { randomUUID } from 'node:crypto';
import { type CallFacts, type CallProvider, CallProviderError, type PlaceCallInput } from '../../core/calls/provider.js';

interface VapiCall {
  id?: unknown;
  status?: unknown;
  startedAt?: unknown;
  endedAt?: unknown;
  name?: unknown;
  monitor?: { controlUrl?: unknown } | null;
}

/** The most calls VAPI lists in one answer. */
const LIST_PAGE = 1000;
/** The most list requests one search for a call makes (a busy account's window in halves). */
const LIST_REQUESTS = 64;

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

function facts(c: VapiCall, fallbackId: string): CallFacts {
  return {
    id: str(c.id) ?? fallbackId,
    status: str(c.status) ?? 'unknown',
    startedAt: str(c.startedAt),
    endedAt: str(c.endedAt),
    reference: str(c.name),
  };
}

/** Statuses that say the request was refused and had no effect (a 408 or a 5xx may have had one). */
function isDefiniteRefusal(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408;
}

/** A failure answer: the provider's own (done with the request), unless a timeout or a gateway's. */
function failure(what: string, status: number, text: unknown): CallProviderError {
  const definite = isDefiniteRefusal(status);
  return new CallProviderError(`VAPI answered ${status}${what}: ${String(text)}`, definite, definite || ![408, 502, 504].includes(status));
}

export class HttpVapiClient implements CallProvider {
  readonly simulated = false;
  constructor(
    private readonly opts: {
      apiKey: string;
      apiBase: string;
      phoneNumberId: string | undefined;
      assistantId: string | undefined;
      timeoutMs?: number;
    },
  ) {}

  private async request(method: string, url: string, body?: unknown, auth = true): Promise<{ status: number; json: unknown }> {
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        method,
        headers: { ...(auth ? { authorization: `Bearer ${this.opts.apiKey}` } : {}), 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
      });
      text = await res.text();
    } catch (e) {
      throw new CallProviderError(`VAPI did not answer: ${(e as Error).message}`, false);
    }
    if (!res.ok) return { status: res.status, json: text.slice(0, 200) };
    try {
      return { status: res.status, json: text ? JSON.parse(text) : null };
    } catch {
      throw new CallProviderError('VAPI answered something that is not JSON.', false);
    }
  }

  private url(path: string): string {
    return `${this.opts.apiBase.replace(/\/$/, '')}${path}`;
  }

  async placeCall(input: PlaceCallInput): Promise<CallFacts> {
    const body = {
      name: input.reference,
      assistantId: input.assistantId ?? this.opts.assistantId,
      phoneNumberId: this.opts.phoneNumberId,
      customer: { number: input.phoneNumber },
      // The control URL (to hang up) is only given for calls with control enabled.
      assistantOverrides: { maxDurationSeconds: input.maxDurationSeconds, monitorPlan: { controlEnabled: true } },
    };
    const r = await this.request('POST', this.url('/call'), body);
    if (r.status >= 300) throw failure('', r.status, r.json);
    const c = (r.json ?? {}) as VapiCall;
    const id = str(c.id);
    if (!id) throw new CallProviderError('VAPI answered without a call id.', false);
    return facts(c, id);
  }

  private async read(id: string): Promise<VapiCall | null> {
    const r = await this.request('GET', this.url(`/call/${encodeURIComponent(id)}`));
    if (r.status === 404) return null;
    if (r.status >= 300) throw new CallProviderError(`VAPI answered ${r.status}: ${String(r.json)}`, false);
    return (r.json ?? {}) as VapiCall;
  }

  async getCall(id: string): Promise<CallFacts | null> {
    const c = await this.read(id);
    return c ? facts(c, id) : null;
  }

  async findCall(reference: string, since: number): Promise<CallFacts | null> {
    // A window around the attempt: VAPI's clock may differ from ours by a little.
    return this.findIn(reference, since - 5 * 60_000, since + 30 * 60_000, { left: LIST_REQUESTS });
  }

  /**
   * The call named `reference` among those VAPI created in [ge, le] (Unix ms). A full page
   * does not list them all, so the absence of the call from it says nothing: the window is
   * then searched in halves, until each half lists fewer than a page. At most LIST_REQUESTS
   * lists are asked for; beyond that VAPI cannot say (the call is not given up).
   */
  private async findIn(reference: string, ge: number, le: number, budget: { left: number }): Promise<CallFacts | null> {
    if (budget.left-- <= 0) throw new CallProviderError('VAPI lists more calls around this one than can be searched.', false);
    const q = new URLSearchParams({
      createdAtGe: new Date(ge).toISOString(),
      createdAtLe: new Date(le).toISOString(),
      limit: String(LIST_PAGE),
    });
    const r = await this.request('GET', this.url(`/call?${q}`));
    if (r.status >= 300) throw new CallProviderError(`VAPI answered ${r.status}: ${String(r.json)}`, false);
    if (!Array.isArray(r.json)) throw new CallProviderError('VAPI listed calls in an unexpected shape.', false);
    const list = r.json as VapiCall[];
    const found = list.find((c) => str(c.name) === reference && str(c.id));
    if (found) return facts(found, String(found.id));
    if (list.length < LIST_PAGE) return null;
    if (le <= ge) throw new CallProviderError('VAPI lists more calls around this one than can be searched.', false);
    const mid = Math.floor((ge + le) / 2);
    return (await this.findIn(reference, ge, mid, budget)) ?? this.findIn(reference, mid + 1, le, budget);
  }

  async hangUp(id: string): Promise<void> {
    const c = await this.read(id);
    if (!c) throw new CallProviderError('VAPI does not know this call.', true);
    if (c.status === 'ended') return;
    const controlUrl = str(c.monitor?.controlUrl);
    if (!controlUrl) throw new CallProviderError('VAPI gave no control URL for this call.', true);
    // The control URL is a capability of its own: the API key is not sent to it.
    const r = await this.request('POST', controlUrl, { type: 'end-call' }, false);
    if (r.status >= 300) throw failure(' to the hang-up', r.status, r.json);
  }
}

/** Simulated calls: placed at once, ended through the API with the caller's duration. */
export class SimulatedVapiClient implements CallProvider {
  readonly simulated = true;
  async placeCall(input: PlaceCallInput): Promise<CallFacts> {
    return { id: `sim_${randomUUID()}`, status: 'in-progress', startedAt: null, endedAt: null, reference: input.reference };
  }
  async getCall(): Promise<CallFacts | null> {
    return null;
  }
  async findCall(): Promise<CallFacts | null> {
    return null;
  }
  async hangUp(): Promise<void> {}
}
