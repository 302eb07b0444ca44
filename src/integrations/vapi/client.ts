/**
 * VAPI over HTTP (POST /call to start an outbound call, GET /call/:id to read one), and a
 * simulated twin used when no API key is configured.
 */
import { randomUUID } from 'node:crypto';

export interface StartCallInput {
  phoneNumber: string;
  assistantId: string | null;
  maxDurationSeconds: number;
}

export interface VapiCallInfo {
  id: string;
  status: string;
  startedAt?: string | null;
  endedAt?: string | null;
}

export interface VapiClient {
  readonly simulated: boolean;
  startCall(input: StartCallInput): Promise<VapiCallInfo>;
  /** The call as VAPI has it (null for the simulated provider, which knows nothing more). */
  getCall(id: string): Promise<VapiCallInfo | null>;
}

export class VapiError extends Error {}

export class HttpVapiClient implements VapiClient {
  readonly simulated = false;
  constructor(
    private readonly opts: { apiKey: string; apiBase: string; phoneNumberId: string | undefined; assistantId: string | undefined; timeoutMs?: number },
  ) {}

  private async request(method: string, path: string, body?: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${this.opts.apiBase.replace(/\/$/, '')}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.opts.apiKey}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
      });
    } catch (e) {
      throw new VapiError(`VAPI did not answer: ${(e as Error).message}`);
    }
    const text = await res.text();
    if (!res.ok) throw new VapiError(`VAPI answered ${res.status}: ${text.slice(0, 200)}`);
    try {
      return JSON.parse(text);
    } catch {
      throw new VapiError('VAPI answered something that is not JSON.');
    }
  }

  async startCall(input: StartCallInput): Promise<VapiCallInfo> {
    const body = {
      assistantId: input.assistantId ?? this.opts.assistantId,
      phoneNumberId: this.opts.phoneNumberId,
      customer: { number: input.phoneNumber },
      assistantOverrides: { maxDurationSeconds: input.maxDurationSeconds },
    };
    const r = (await this.request('POST', '/call', body)) as Partial<VapiCallInfo>;
    if (typeof r.id !== 'string' || r.id.length === 0) throw new VapiError('VAPI answered without a call id.');
    return { id: r.id, status: typeof r.status === 'string' ? r.status : 'queued' };
  }

  async getCall(id: string): Promise<VapiCallInfo | null> {
    const r = (await this.request('GET', `/call/${encodeURIComponent(id)}`)) as Partial<VapiCallInfo>;
    return { id, status: String(r.status ?? 'unknown'), startedAt: r.startedAt ?? null, endedAt: r.endedAt ?? null };
  }
}

export class SimulatedVapiClient implements VapiClient {
  readonly simulated = true;
  async startCall(): Promise<VapiCallInfo> {
    return { id: `sim_${randomUUID()}`, status: 'in-progress' };
  }
  async getCall(): Promise<VapiCallInfo | null> {
    return null;
  }
}
