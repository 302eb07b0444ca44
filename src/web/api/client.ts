/**
 * The one way the dashboard talks to the API: `api(key, request)` by the contract's
 * endpoint key ("GET /api/credits/balance"), its request and answer typed by the route's
 * schemas; fetch with the Bearer token kept in localStorage, errors turned into ApiError
 * (the API's `{error:{code,message,details}}`), and a 401 on an authenticated call signing
 * the user out. Only types come from the schemas: the bundle carries no zod.
 */
import type { CallArgs, EndpointKey, EventOf, IsIdempotent, RequestOf, ResponseOf } from '../../contracts/endpoints';
import { requestTarget } from '../../contracts/paths';
import type { ErrorCode } from '../../contracts/types';

const TOKEN_KEY = 'credits.token';

export function getToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string | null): void {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // Storage unavailable (private mode): the session lasts for this page only.
  }
}

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();

/** Called when the API answers 401 to a call that carried a token. */
export function onUnauthorized(fn: Listener): () => void {
  unauthorizedListeners.add(fn);
  return () => unauthorizedListeners.delete(fn);
}

/** The reason of a stream's `closed` event (`{"reason": ...}`), or null if it has none. */
function streamClosedReason(data: string): string | null {
  try {
    const v: unknown = JSON.parse(data);
    return typeof v === 'object' && v !== null && 'reason' in v && typeof v.reason === 'string' ? v.reason : null;
  } catch {
    return null;
  }
}

function signOutEverywhere(): void {
  setToken(null);
  if (unauthorizedListeners.size === 0) {
    if (location.pathname !== '/signin') location.assign('/signin');
    return;
  }
  for (const fn of unauthorizedListeners) fn();
}

/** The API's error codes, and the client's own: the server could not be reached, or answered no error body. */
export type ApiErrorCode = ErrorCode | 'network_error' | 'http_error';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** A fresh key for one money-moving request. */
export function idempotencyKey(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  // Insecure contexts lack randomUUID; build a v4 UUID from getRandomValues.
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

interface RequestOptions {
  method?: string;
  body?: unknown;
  /** Sends an Idempotency-Key header (every POST that moves credits or money): a fresh one, or the one given (to ask again safely). */
  idempotent?: boolean | string;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

const ACCOUNT_KEY = 'credits.account';

/**
 * The account the dashboard acts on (shared/API.md "Accounts"): null for the user's personal
 * account (no header: the server's default), else an organisation's id, sent as `X-Account`
 * on every call but the two below. Kept in localStorage so the choice survives a reload; the
 * memory copy is what is sent, so a tab keeps its choice while another tab picks another.
 */
let account: string | null = readAccount();
const accountListeners = new Set<Listener>();

function readAccount(): string | null {
  try {
    return localStorage.getItem(ACCOUNT_KEY);
  } catch {
    return null;
  }
}

export function getAccount(): string | null {
  return account;
}

/** Chooses the account every later call and stream acts on (null: personal). */
export function setAccount(id: string | null): void {
  if (id === account) return;
  account = id;
  try {
    if (id) localStorage.setItem(ACCOUNT_KEY, id);
    else localStorage.removeItem(ACCOUNT_KEY);
  } catch {
    // Storage unavailable: the choice lasts for this page only.
  }
  for (const fn of accountListeners) fn();
}

/** Takes the choice kept in localStorage again: another tab signed out or in, so this tab's choice was the previous user's. */
export function reloadAccount(): void {
  const id = readAccount();
  if (id === account) return;
  account = id;
  for (const fn of accountListeners) fn();
}

/** Follows the chosen account (for useSyncExternalStore). */
export function onAccountChange(fn: Listener): () => void {
  accountListeners.add(fn);
  return () => accountListeners.delete(fn);
}

const accountNotFoundListeners = new Set<Listener>();

/**
 * Called when a call that named the chosen account was answered 404 (the user may have been
 * removed from it): the account provider then asks GET /api/accounts whether the choice still
 * holds, and falls back to personal if not. A 404 of another kind (an unknown call id) changes nothing.
 */
export function onAccountNotFound(fn: Listener): () => void {
  accountNotFoundListeners.add(fn);
  return () => accountNotFoundListeners.delete(fn);
}

/**
 * Calls that never carry `X-Account`: the sign-in routes, and the list of accounts the user may
 * choose from (which must not depend on the choice, or a stale choice could hide the way out).
 */
function accountFree(path: string): boolean {
  return path.startsWith('/api/auth/') || path === '/api/accounts' || path.startsWith('/api/accounts?');
}

/** The Bearer token and, on account-scoped calls, the chosen account: the one place they are added. */
export function authHeaders(path = ''): Record<string, string> {
  const token = getToken();
  if (!token) return {};
  return account && !accountFree(path) ? { authorization: `Bearer ${token}`, 'x-account': account } : { authorization: `Bearer ${token}` };
}

/** fetch with the token; throws ApiError on a non-2xx answer. Returns the raw Response. */
export async function apiFetch(path: string, opts: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json', ...authHeaders(path), ...(opts.headers ?? {}) };
  const hadToken = 'authorization' in headers;
  const namedAccount = 'x-account' in headers;
  let body: BodyInit | undefined;
  if (opts.body instanceof FormData) body = opts.body;
  else if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  if (opts.idempotent) headers['idempotency-key'] = typeof opts.idempotent === 'string' ? opts.idempotent : idempotencyKey();
  let res: Response;
  try {
    res = await fetch(path, { method: opts.method ?? 'GET', headers, body, signal: opts.signal });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, 'network_error', 'The server could not be reached. Check your connection and try again.');
  }
  if (res.ok) return res;
  let code: ApiErrorCode = 'http_error';
  let message = `The request failed (${res.status}).`;
  let details: Record<string, unknown> | undefined;
  try {
    const parsed = (await res.json()) as { error?: { code?: ErrorCode; message?: string; details?: Record<string, unknown> } };
    if (parsed.error) {
      code = parsed.error.code ?? code;
      message = parsed.error.message ?? message;
      details = parsed.error.details;
    }
  } catch {
    // Not JSON: keep the generic message.
  }
  if (res.status === 401 && hadToken) signOutEverywhere();
  if (res.status === 404 && namedAccount) for (const fn of accountNotFoundListeners) fn();
  throw new ApiError(res.status, code, message, details);
}

/** What a call sends besides the contract's parts: an abort signal, and `idempotent: true` where the endpoint moves credits or money. */
type ClientOptions<K extends EndpointKey> = { signal?: AbortSignal } & (IsIdempotent<K> extends true
  ? { idempotent: true /** The Idempotency-Key to send (a retry of the same request); else a fresh one. */; idempotencyKey?: string }
  : { idempotent?: never });

interface AnyRequest {
  params?: Record<string, string>;
  query?: Record<string, unknown>;
  body?: unknown;
  signal?: AbortSignal;
  idempotent?: boolean;
  idempotencyKey?: string;
}

/**
 * Calls an endpoint by its key: `api('GET /api/credits/balance')`,
 * `api('POST /api/admin/users/:id/adjustments', { params: { id }, body, idempotent: true })`.
 * Every POST that moves credits or money says `idempotent: true` (the type requires it) and
 * sends a fresh Idempotency-Key; a POST without a body sends `{}`.
 */
export async function api<K extends EndpointKey>(key: K, ...[request]: CallArgs<K, ClientOptions<K>>): Promise<ResponseOf<K>> {
  const r = (request ?? {}) as AnyRequest;
  const { method, path } = requestTarget(key, r.params, r.query);
  const res = await apiFetch(path, {
    method,
    ...(method === 'GET' ? {} : { body: r.body ?? {} }),
    ...(r.idempotent ? { idempotent: r.idempotencyKey ?? true } : {}),
    ...(r.signal ? { signal: r.signal } : {}),
  });
  if (res.status === 204) return undefined as ResponseOf<K>;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as ResponseOf<K>;
}

/** Fetches a file answer (the CSV of the history, of the admin's payments) with the token and hands it to the browser as a download. */
export async function downloadFile<
  K extends
    | 'GET /api/credits/transactions.csv'
    | 'GET /api/credits/usage.csv'
    | 'GET /api/admin/payments.csv'
    | 'GET /api/admin/liability.csv',
>(key: K, filename: string, request: RequestOf<K> = {} as RequestOf<K>): Promise<void> {
  const { path } = requestTarget(key, undefined, request.query as Record<string, unknown> | undefined);
  const res = await apiFetch(path, { headers: { accept: 'text/csv' } });
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

interface SseEvent {
  event: string;
  data: string;
}

/**
 * Reads the Server-Sent Events of an endpoint that streams with fetch (so the
 * Authorization header can be sent), calling onEvent with the data of every complete
 * event of the given name (parsed as the contract types it), and reconnecting with
 * backoff when the stream drops. Returns a function that stops it.
 */
export function openEventStream<K extends EndpointKey, E extends string>(
  key: K,
  name: E,
  onEvent: (data: EventOf<K, E>) => void,
  onStatus?: (connected: boolean) => void,
): () => void {
  const { path } = requestTarget(key);
  return readEventStream(
    path,
    (e) => {
      if (e.event !== name) return;
      let data: EventOf<K, E>;
      try {
        data = JSON.parse(e.data) as EventOf<K, E>;
      } catch {
        return;
      }
      onEvent(data);
    },
    onStatus,
  );
}

function readEventStream(path: string, onEvent: (e: SseEvent) => void, onStatus?: (connected: boolean) => void): () => void {
  const ctrl = new AbortController();
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  let retired = false;
  const run = async () => {
    if (ctrl.signal.aborted) return;
    try {
      const headers = { accept: 'text/event-stream', ...authHeaders(path) };
      const res = await fetch(path, { headers, signal: ctrl.signal, cache: 'no-store' });
      if (res.status === 401) {
        signOutEverywhere();
        return;
      }
      if (res.status === 404 && 'x-account' in headers) for (const fn of accountNotFoundListeners) fn();
      if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`);
      attempt = 0;
      onStatus?.(true);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value.replace(/\r\n?/g, '\n');
        let idx = buf.indexOf('\n\n');
        while (idx >= 0) {
          const block = buf.slice(0, idx);
          buf = buf.slice(idx + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (!line || line.startsWith(':')) continue;
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            let val = colon < 0 ? '' : line.slice(colon + 1);
            if (val.startsWith(' ')) val = val.slice(1);
            if (field === 'event') event = val;
            else if (field === 'data') data.push(val);
          }
          if (event === 'closed') {
            // The server ended this stream: for a newer one (too many open: do not fight it), or
            // because its token ended (sign out here too) or the account is no longer ours.
            retired = true;
            const reason = streamClosedReason(data.join('\n'));
            if (reason === 'unauthorized') signOutEverywhere();
            else if (reason === 'not_a_member') for (const fn of accountNotFoundListeners) fn();
          } else if (data.length > 0) onEvent({ event, data: data.join('\n') });
          idx = buf.indexOf('\n\n');
        }
      }
    } catch {
      // Dropped or refused: retry below unless stopped.
    }
    if (ctrl.signal.aborted) return;
    onStatus?.(false);
    if (retired) return;
    const delay = Math.min(30_000, 500 * 2 ** attempt) + Math.random() * 250;
    attempt++;
    timer = setTimeout(() => {
      timer = undefined;
      void run();
    }, delay);
  };
  // Back online: reconnect now rather than after the backoff.
  const online = () => {
    if (!timer || ctrl.signal.aborted) return;
    clearTimeout(timer);
    timer = undefined;
    attempt = 0;
    void run();
  };
  if (typeof window !== 'undefined') window.addEventListener('online', online);
  void run();
  return () => {
    ctrl.abort();
    if (timer) clearTimeout(timer);
    if (typeof window !== 'undefined') window.removeEventListener('online', online);
  };
}
