import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { Link, useLocation, useParams } from 'react-router';
import { ApiError, api, setAccount } from '../../api/client';
import { useChosenAccount } from '../../lib/account';
import { ErrorMessage, Loading } from '../../components/ui';
import { keys } from '../../lib/query-keys';
import { useSession } from '../../lib/session';

/**
 * The link of an invitation: `/accept-invitation#token=…` (the mailed link and the one the
 * "Invite member" dialog shows: in the fragment, the token never reaches a server's request
 * log) or `/invitations/:token`. Signed in (the shell sends a visitor to sign in or sign up
 * and back here), it accepts at once, switches to the organisation joined and says so; a
 * used, expired or someone else's invitation says that instead.
 */
export function AcceptInvitationPage() {
  const { token: fromPath } = useParams();
  const { hash } = useLocation();
  const invitation = fromPath ?? new URLSearchParams(hash.replace(/^#/, '')).get('token') ?? '';
  const { token, user } = useSession();
  const queryClient = useQueryClient();
  const accept = useMutation({
    mutationFn: () => api('POST /api/invitations/:token/accept', { params: { token: invitation } }),
    onSuccess: async (r) => {
      await queryClient.invalidateQueries({ queryKey: keys.accounts(token) });
      setAccount(r.account.id);
    },
  });
  // Once per page: an invitation is used up by its first acceptance.
  const sent = useRef(false);
  useEffect(() => {
    if (sent.current || !invitation) return;
    sent.current = true;
    accept.mutate();
  }, [invitation, accept]);
  const gone = accept.error instanceof ApiError && accept.error.status === 404;
  const orgs = useChosenAccount().accounts.filter((a) => a.kind === 'organization');
  return (
    <div className="page narrow">
      <section className="card" aria-labelledby="invitation-h">
        <h1 id="invitation-h">Invitation</h1>
        {!invitation ? (
          <p className="notice notice-error" role="alert">
            This link has no invitation in it. Open the whole link from the invitation mail, or ask for a new one.
          </p>
        ) : accept.isPending || accept.isIdle ? (
          <Loading label="Accepting the invitation…" />
        ) : null}
        {accept.data ? (
          <div className="stack">
            <p role="status">
              You joined <strong>{accept.data.account.name}</strong> as {accept.data.account.role}. The dashboard now shows its balance, and
              what you run on the platform is charged to it; switch accounts with the “Account” menu at the top.
            </p>
            <p>
              <Link to="/platform" className="button button-primary">
                Go to the platform
              </Link>
            </p>
          </div>
        ) : null}
        {gone ? (
          <div className="notice notice-error" role="alert">
            <p>
              This invitation cannot be accepted: it was used already, it expired, or it was sent to another email than yours ({user?.email}
              ). Ask whoever invited you for a new one.
            </p>
            {/* The link opened again after joining (a reload, the mail's link clicked twice) is "used already": say where the organisation is. */}
            {orgs.length > 0 ? (
              <p>
                If you already joined with this link, the organisation is in the “Account” menu at the top: you belong to{' '}
                {orgs.map((o) => o.name).join(', ')}.
              </p>
            ) : null}
          </div>
        ) : accept.error ? (
          <ErrorMessage error={accept.error} />
        ) : null}
      </section>
    </div>
  );
}
