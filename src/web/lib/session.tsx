/** The session: the token, the signed-in user (GET /api/auth/me), sign-in and sign-out, followed across tabs. */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import type { Shape } from '../../contracts/types';
import { api, getToken, onUnauthorized, reloadAccount, setAccount, setToken } from '../api/client';
import { keys } from './query-keys';

interface Session {
  token: string | null;
  user: Shape<'User'> | null;
  /** True while the signed-in user is being loaded after a reload. */
  loading: boolean;
  /** The read of the signed-in user: its error (after its retries) and "Retry", for a page that needs the user. */
  me: { error: Error | null; isFetching: boolean; refetch(): Promise<unknown> };
  isAdmin: boolean;
  signIn(token: string, user: Shape<'User'>): void;
  signOut(): void;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [token, setTokenState] = useState<string | null>(() => getToken());
  const queryClient = useQueryClient();
  const navigate = useNavigate();

  const me = useQuery({
    queryKey: keys.me(token),
    queryFn: ({ signal }) => api('GET /api/auth/me', { signal }),
    enabled: token !== null,
    staleTime: 5 * 60_000,
    // The client's default: a 5xx (a shed request) or a network blip is asked again; a 4xx is not (a 401 signs out).
  });

  const signOut = useCallback(() => {
    setToken(null);
    // The next user of this browser starts on their own personal account.
    setAccount(null);
    setTokenState(null);
    queryClient.clear();
    navigate('/signin', { replace: true });
  }, [navigate, queryClient]);

  // A 401 from the API ends the session.
  useEffect(() => onUnauthorized(signOut), [signOut]);

  // Signing in or out in another tab follows here, with that tab's account choice (the one
  // this tab had was the previous user's: kept, it would be sent as the next user's X-Account).
  const current = useRef(token);
  current.current = token;
  useEffect(() => {
    const onStorage = () => {
      const t = getToken();
      // Signed out: follow every change of the stored choice too (the other tab's sign-out may
      // reach this tab as two events, the token's removal before the account's).
      if (t === null) reloadAccount();
      if (t === current.current) return;
      current.current = t;
      reloadAccount();
      if (!t) queryClient.clear();
      setTokenState(t);
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, [queryClient]);

  const signIn = useCallback(
    (t: string, user: Shape<'User'>) => {
      queryClient.clear();
      setToken(t);
      queryClient.setQueryData(keys.me(t), { user });
      setTokenState(t);
    },
    [queryClient],
  );

  const value = useMemo<Session>(() => {
    const user = token ? (me.data?.user ?? null) : null;
    return {
      token,
      user,
      loading: token !== null && me.isPending,
      me: { error: me.error, isFetching: me.isFetching, refetch: me.refetch },
      isAdmin: user?.role === 'admin' || user?.role === 'super_admin',
      signIn,
      signOut,
    };
  }, [token, me.data, me.isPending, me.error, me.isFetching, me.refetch, signIn, signOut]);

  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const ctx = useContext(SessionContext);
  if (!ctx) throw new Error('useSession outside SessionProvider');
  return ctx;
}
