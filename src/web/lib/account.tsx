/**
 * The account the dashboard acts on (shared/UI.md "Accounts"): the user's personal account or
 * one of their organisations. The choice itself lives in the API client (api/client.ts sends it
 * as `X-Account`, kept in localStorage); this module lists what may be chosen (GET
 * /api/accounts), says what the choice is, drops a choice that no longer holds, and resets the
 * account's cached data when it changes.
 */
import { type QueryClient, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useSyncExternalStore } from 'react';
import type { ResponseOf } from '../../contracts/endpoints';
import { api, getAccount, onAccountChange, onAccountNotFound, setAccount } from '../api/client';
import { keys } from './query-keys';
import { useSession } from './session';

export type Account = ResponseOf<'GET /api/accounts'>['items'][number];

/** Data that does not belong to an account: kept when the account changes; all else is read again. */
const NOT_ACCOUNT_SCOPED = new Set<unknown>(['me', 'config', 'setup-status', 'packages', 'accounts', 'admin']);

/** Once, at start: every change of account resets the cached data of the account (the new account's is fetched). */
export function followAccount(queryClient: QueryClient): () => void {
  return onAccountChange(() => {
    void queryClient.resetQueries({ predicate: (q) => !NOT_ACCOUNT_SCOPED.has(q.queryKey[0]) });
  });
}

/** The accounts the signed-in user may act on. */
export function useAccounts() {
  const { token } = useSession();
  return useQuery({
    queryKey: keys.accounts(token),
    queryFn: ({ signal }) => api('GET /api/accounts', { signal }),
    enabled: token !== null,
    staleTime: 60_000,
    select: (d) => d.items,
  });
}

export interface ChosenAccount {
  /** The chosen organisation's id; null: the personal account. */
  id: string | null;
  /** The chosen account as listed (undefined while the list loads). */
  account: Account | undefined;
  /** Whether the chosen account is an organisation. */
  isOrg: boolean;
  /** The user's role in it (owner of their personal account). */
  role: Account['role'];
  /** Whether the user may buy for it, see its payments and settings, and manage its members (owner or admin). */
  canManage: boolean;
  /** Every account the user may choose. */
  accounts: Account[];
}

/** The account every call acts on, with the user's role in it. */
export function useChosenAccount(): ChosenAccount {
  const id = useSyncExternalStore(onAccountChange, getAccount, () => null);
  const accounts = useAccounts().data ?? [];
  const account = id ? accounts.find((a) => a.id === id) : accounts.find((a) => a.kind === 'personal');
  // While the list loads, an organisation's role is unknown: assume the least (member), so
  // nothing offered is then refused; the personal account is always the user's own.
  const role = account?.role ?? (id ? 'member' : 'owner');
  return { id, account, isOrg: id !== null, role, canManage: role === 'owner' || role === 'admin', accounts };
}

/**
 * Keeps the choice valid (mount once, in the signed-in shell): a chosen account that the list no
 * longer has (the user was removed from the organisation, or another user signed in on this
 * browser) falls back to the personal account, checked when the list arrives and again whenever
 * a call naming the account is answered 404.
 */
export function useAccountGuard(): void {
  const queryClient = useQueryClient();
  const { token } = useSession();
  const accounts = useAccounts();
  const id = useSyncExternalStore(onAccountChange, getAccount, () => null);
  useEffect(() => onAccountNotFound(() => void queryClient.invalidateQueries({ queryKey: keys.accounts(token) })), [queryClient, token]);
  useEffect(() => {
    if (!id || !accounts.data) return;
    const found = accounts.data.find((a) => a.id === id);
    if (!found || found.kind === 'personal') setAccount(null);
  }, [id, accounts.data]);
}

/**
 * The header's select named "Account": "Personal" and each organisation, shown only when the
 * user belongs to one. Choosing one makes every page, the balance and every charge follow it.
 */
export function AccountSwitcher() {
  const selectId = useId();
  const { id, accounts } = useChosenAccount();
  const orgs = accounts.filter((a) => a.kind === 'organization');
  if (orgs.length === 0) return null;
  return (
    <div className="account-switcher">
      <label htmlFor={selectId} className="visually-hidden">
        Account
      </label>
      <select id={selectId} value={id ?? ''} onChange={(e) => setAccount(e.target.value || null)}>
        <option value="">Personal</option>
        {orgs.map((o) => (
          <option key={o.id} value={o.id}>
            {o.name}
          </option>
        ))}
      </select>
    </div>
  );
}
