import { useLocation, useNavigate } from 'react-router';
import type { ResponseOf } from '../../../contracts/endpoints';
import { useSession } from '../../lib/session';

export type AuthAnswer = ResponseOf<'POST /api/auth/login'>;

/** Signs in with an answer that carries a token, then goes where the user was headed (else `/credits`). */
export function useAfterAuth() {
  const { signIn } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from;
  return (a: AuthAnswer) => {
    signIn(a.token, a.user);
    navigate(from && !/^\/(signin|signup|setup|verify-email|reset-password|forgot-password)/.test(from) ? from : '/credits', {
      replace: true,
    });
  };
}

/** The token of a mailed link: `#token=...` (never sent to a server, so never in a log). */
export function useLinkToken(): string | null {
  const { hash } = useLocation();
  return new URLSearchParams(hash.replace(/^#/, '')).get('token');
}
