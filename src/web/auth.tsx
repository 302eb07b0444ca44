import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { useNavigate } from 'react-router';
import { get, getToken, onUnauthorized, setToken } from './api/client';
import type { User } from './api/types';

interface AuthState {
  token: string | null;
  user: User | null;
  /** True while the signed-in user is being loaded after a reload. */
  loading: boolean;
  isAdmin: boolean;
  signIn(token: string, user: User): void;
  signOut(): void;
}

const AuthContext = createContext<AuthState | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [token, setTokenState] = useState<string | null>(() => getToken());
  const queryClient = useQueryClient();
  const navigate = useNavigate();

  const me = useQuery({
    queryKey: ['me', token],
    queryFn: ({ signal }) => get<{ user: User }>('/api/auth/me', signal),
    enabled: token !== null,
    staleTime: 5 * 60_000,
    retry: false,
  });

  const signOut = useCallback(() => {
    setToken(null);
    setTokenState(null);
    queryClient.clear();
    navigate('/signin', { replace: true });
  }, [navigate, queryClient]);

  // A 401 from the API ends the session.
  useEffect(() => onUnauthorized(signOut), [signOut]);

  // Signing in or out in another tab follows here.
  useEffect(() => {
    const onStorage = () => {
      const t = getToken();
      setTokenState((cur) => {
        if (cur === t) return cur;
        if (!t) queryClient.clear();
        return t;
      });
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, [queryClient]);

  const signIn = useCallback(
    (t: string, user: User) => {
      queryClient.clear();
      setToken(t);
      queryClient.setQueryData(['me', t], { user });
      setTokenState(t);
    },
    [queryClient],
  );

  const value = useMemo<AuthState>(() => {
    const user = token ? (me.data?.user ?? null) : null;
    return {
      token,
      user,
      loading: token !== null && me.isPending,
      isAdmin: user?.role === 'admin' || user?.role === 'super_admin',
      signIn,
      signOut,
    };
  }, [token, me.data, me.isPending, signIn, signOut]);

  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error('useAuth outside AuthProvider');
  return ctx;
}
