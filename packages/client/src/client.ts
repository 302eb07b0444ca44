import { CreditsApiError, InsufficientCreditsError } from './errors.js';
import type {
  Balance,
  BatchEvent,
  BatchResult,
  CaptureInput,
  CaptureResult,
  Customer,
  CustomerInput,
  ExtendResult,
  HoldInput,
  HoldStatus,
  ReleaseResult,
  UsageInput,
  UsageResult,
} from './types.js';

export interface CreditsClientOptions {
  /** Where the service is, e.g. `https://credits.internal.example.com`. */
  baseUrl: string;
  /** An API key (`ck_live_...`). */
  apiKey: string;
  /** How long one attempt may take (default 10,000 ms). */
  timeoutMs?: number;
  /** Retries after the first attempt on a network error, a timeout, 429 or a 5xx (default 2). */
  maxRetries?: number;
  /** Another fetch (tests, proxies); the platform's by default. */
  fetch?: typeof fetch;
}

interface RequestOptions {
  body?: unknown;
  /** Sent as Idempotency-Key, the same on every retry of this call. */
  idempotencyKey?: string;
}

const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
const MAX_BACKOFF_MS = 5_000;
const MAX_RETRY_AFTER_MS = 30_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Milliseconds a Retry-After header asks for (seconds or an HTTP date), or undefined. */
function retryAfterMs(h: string | null): number | undefined {
  if (!h) return undefined;
  const s = Number(h);
  if (Number.isFinite(s) && s >= 0) return Math.min(s * 1000, MAX_RETRY_AFTER_MS);
  const at = Date.parse(h);
  return Number.isNaN(at) ? undefined : Math.min(Math.max(0, at - Date.now()), MAX_RETRY_AFTER_MS);
}

/** Exponential backoff with full jitter: about 200 ms, 400 ms, 800 ms... at most 5 s. */
function backoffMs(attempt: number): number {
  const cap = Math.min(MAX_BACKOFF_MS, 200 * 2 ** attempt);
  return cap / 2 + Math.random() * (cap / 2);
}

/**
 * The service API of the credit billing service, for the platform's backends. Every call
 * that moves credits carries an Idempotency-Key (yours, or one generated per call) that
 * its retries reuse, so a retry after a lost answer never charges twice.
 */
export class CreditsClient {
  private readonly baseUrl: string;
  readonly #apiKey: string;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly fetchImpl: typeof fetch;

  constructor(options: CreditsClientOptions) {
    if (!options || typeof options.baseUrl !== 'string' || !/^https?:\/\//.test(options.baseUrl))
      throw new TypeError('CreditsClient: baseUrl must be an http(s) URL');
    if (typeof options.apiKey !== 'string' || options.apiKey.length === 0) throw new TypeError('CreditsClient: apiKey is required');
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#apiKey = options.apiKey;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxRetries = Math.max(0, Math.floor(options.maxRetries ?? 2));
    this.fetchImpl = options.fetch ?? globalThis.fetch;
  }

  /** Creates the customer (an account named by the platform's id) or updates it. */
  async upsertCustomer(externalId: string, input: CustomerInput = {}): Promise<Customer> {
    const r = await this.request<{ customer: Customer }>('PUT', `/api/v1/customers/${encodeURIComponent(externalId)}`, { body: input });
    return r.customer;
  }

  /** The customer's balance (credits); a CreditsApiError 404 for an unknown customer. */
  async balance(externalId: string): Promise<Balance> {
    return this.request<Balance>('GET', `/api/v1/customers/${encodeURIComponent(externalId)}/balance`);
  }

  /** Charges one usage event; an InsufficientCreditsError when the customer cannot afford it. */
  async recordUsage(input: UsageInput): Promise<UsageResult> {
    const { idempotencyKey, ...body } = input;
    const r = await this.request<{ usage: { id: string | null }; credits: { charged: number; balance: number } }>('POST', '/api/v1/usage', {
      body,
      idempotencyKey: idempotencyKey ?? newKey(),
    });
    return { usageId: r.usage.id, charged: r.credits.charged, balance: r.credits.balance };
  }

  /**
   * Charges up to 1,000 events in one request; each stands alone and is idempotent by its
   * own `id`. Returns the result of each, in order (an event the customer cannot afford is
   * `insufficient_credits` in its result, not an exception).
   */
  async recordUsageBatch(events: BatchEvent[]): Promise<BatchResult[]> {
    const r = await this.request<{ results: BatchResult[] }>('POST', '/api/v1/usage/batch', { body: { events }, idempotencyKey: newKey() });
    return r.results;
  }

  /** Reserves the cost of `quantity` for a long operation; capture, release or extend the hold it returns. */
  async hold(input: HoldInput): Promise<Hold> {
    const { idempotencyKey, ...body } = input;
    const r = await this.request<{
      hold: { id: string; status: HoldStatus; credits: number; expiresAt: string };
      credits: { reserved: number; available: number };
    }>('POST', '/api/v1/holds', { body, idempotencyKey: idempotencyKey ?? newKey() });
    return new Hold(this, r.hold.id, r.hold.status, r.hold.credits, r.hold.expiresAt);
  }

  /** @internal Used by Hold. */
  async holdAction<T>(id: string, action: 'capture' | 'release' | 'extend', body: unknown, idempotencyKey?: string): Promise<T> {
    return this.request<T>('POST', `/api/v1/holds/${encodeURIComponent(id)}/${action}`, {
      body,
      idempotencyKey: idempotencyKey ?? newKey(),
    });
  }

  /** One call: attempts until an answer that is not worth retrying, or the retries run out. */
  private async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#apiKey}`, accept: 'application/json' };
    let payload: string | undefined;
    if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(opts.body);
    }
    if (opts.idempotencyKey !== undefined) headers['idempotency-key'] = opts.idempotencyKey;
    for (let attempt = 0; ; attempt++) {
      const last = attempt >= this.maxRetries;
      let res: Response;
      try {
        res = await this.fetchImpl(this.baseUrl + path, { method, headers, body: payload, signal: AbortSignal.timeout(this.timeoutMs) });
      } catch (e) {
        const timedOut = (e as Error)?.name === 'TimeoutError' || (e as Error)?.name === 'AbortError';
        if (last) {
          throw new CreditsApiError(
            0,
            timedOut ? 'timeout' : 'network_error',
            timedOut
              ? `No answer from the credits service within ${this.timeoutMs} ms (${method} ${path}).`
              : `The credits service could not be reached (${method} ${path}): ${(e as Error)?.message}`,
            undefined,
            undefined,
            { cause: e },
          );
        }
        await sleep(backoffMs(attempt));
        continue;
      }
      const text = await res.text().catch(() => '');
      if (res.ok) {
        if (!text) return undefined as T;
        try {
          return JSON.parse(text) as T;
        } catch (e) {
          throw new CreditsApiError(
            res.status,
            'invalid_response',
            `The credits service answered ${res.status} with a body that is not JSON.`,
            undefined,
            res.headers.get('x-request-id') ?? undefined,
            { cause: e },
          );
        }
      }
      if (!last && RETRY_STATUSES.has(res.status)) {
        await sleep(retryAfterMs(res.headers.get('retry-after')) ?? backoffMs(attempt));
        continue;
      }
      throw errorOf(res, text);
    }
  }
}

function errorOf(res: Response, text: string): CreditsApiError {
  const requestId = res.headers.get('x-request-id') ?? undefined;
  let code = `http_${res.status}`;
  let message = `The credits service answered ${res.status}.`;
  let details: Record<string, unknown> | undefined;
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    if (body?.error && typeof body.error.code === 'string') {
      code = body.error.code;
      if (typeof body.error.message === 'string') message = body.error.message;
      if (body.error.details && typeof body.error.details === 'object') details = body.error.details as Record<string, unknown>;
    }
  } catch {
    // Not the contract's shape (a proxy's page): keep the status.
  }
  if (res.status === 402 && code === 'insufficient_credits') return new InsufficientCreditsError(message, details, requestId);
  return new CreditsApiError(res.status, code, message, details, requestId);
}

function newKey(): string {
  return globalThis.crypto.randomUUID();
}

/** Credits reserved for one operation: capture what it used, or release it. */
export class Hold {
  readonly #client: CreditsClient;

  constructor(
    client: CreditsClient,
    /** The hold's id. */
    readonly id: string,
    /** What the service last said of it. */
    public status: HoldStatus,
    /** Credits held. */
    readonly credits: number,
    /** When it is released unless captured or extended (ISO 8601). */
    public expiresAt: string,
  ) {
    this.#client = client;
  }

  /** Charges the cost of `quantity`, at most the held credits; the rest is released. A second capture is a CreditsApiError 409. */
  async capture(input: CaptureInput): Promise<CaptureResult> {
    const { idempotencyKey, ...body } = input;
    const r = await this.#client.holdAction<{
      hold: { id: string; status: 'captured'; credits: number; heldCredits: number };
      credits: { charged: number; balance: number };
    }>(this.id, 'capture', body, idempotencyKey);
    this.status = 'captured';
    return {
      id: r.hold.id,
      status: r.hold.status,
      credits: r.hold.credits,
      heldCredits: r.hold.heldCredits,
      charged: r.credits.charged,
      balance: r.credits.balance,
    };
  }

  /** Releases the hold, charging nothing. */
  async release(): Promise<ReleaseResult> {
    const r = await this.#client.holdAction<{ hold: ReleaseResult }>(this.id, 'release', {});
    this.status = 'released';
    return r.hold;
  }

  /** Moves the expiry to now + `ttlSeconds`; a hold past its expiry cannot be extended (409). */
  async extend(input: { ttlSeconds: number }): Promise<ExtendResult> {
    const r = await this.#client.holdAction<{ hold: ExtendResult }>(this.id, 'extend', { ttlSeconds: input.ttlSeconds });
    this.expiresAt = r.hold.expiresAt;
    return r.hold;
  }

  toJSON() {
    return { id: this.id, status: this.status, credits: this.credits, expiresAt: this.expiresAt };
  }
}
