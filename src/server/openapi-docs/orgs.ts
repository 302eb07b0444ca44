/**
 * What OpenAPI says of accounts and organisations, beyond the schemas
 * (merged into DOCS of server/openapi-docs.ts).
 */
import { type RouteDocs, refusing } from './route-doc.js';

const OUTSIDER = ' A caller who is not a member of the organisation gets 404, as for any object that is not theirs.';

export const ORGS_DOCS: RouteDocs = {
  ...refusing([401], {
    'GET /api/accounts': {
      summary: 'Accounts',
      description:
        'The accounts the caller may act on: their personal account first, then each organisation they are a member of, with their role in it. Any of these ids may be sent as `X-Account` on the credits routes, the metered routes and the stream.',
    },
  }),
  ...refusing([400, 401, 409], {
    'POST /api/orgs': {
      summary: 'Create an organisation',
      description:
        'A new organisation account (empty balance) with the caller as its `owner`. `externalId` is the platform\u2019s id of it, which the service API names as `customer`; it shares one namespace with users\u2019 `sub`, so one another account has is 409 `conflict` and nothing is made. Audited.',
    },
  }),
  ...refusing([401, 404], {
    'GET /api/orgs/:id/members': {
      summary: 'Members of an organisation',
      description: `Every member with their role, monthly limit (credits per calendar month, UTC; null: none) and what they spent of the organisation\u2019s credits this month. Any member may read it.${OUTSIDER}`,
    },
  }),
  ...refusing([400, 401, 403, 404, 409], {
    'POST /api/orgs/:id/invitations': {
      summary: 'Invite a member',
      description: `Owner or admin (a member gets 403 \`forbidden\`; only an owner invites an owner). Invites \`email\` with \`role\`, valid 7 days: the answer carries the token once (only its hash is kept) and, when SMTP is set, it is mailed to the address too. The signed-in user with that email accepts it. Someone who is a member already is 409. Audited.${OUTSIDER}`,
    },
    'PATCH /api/orgs/:id/members/:userId': {
      summary: 'Change a member',
      description: `Owner or admin (a member gets 403 \`forbidden\`): \`role\` and/or \`monthlyLimit\` (credits per calendar month, UTC, at most 3 decimals; \`null\` for none). Only an owner gives or takes the owner role or changes an owner's limit (403 otherwise); demoting the last owner is 409. An unknown member is 404. Audited.${OUTSIDER}`,
    },
  }),
  ...refusing([401, 403, 404], {
    'GET /api/orgs/:id/invitations': {
      summary: 'Pending invitations',
      description: `Owner or admin (a member gets 403 \`forbidden\`): the invitations of the organisation that are neither accepted nor expired, newest first. A token is never shown again (only its hash is kept).${OUTSIDER}`,
    },
    'DELETE /api/orgs/:id/invitations/:invitationId': {
      summary: 'Revoke an invitation',
      description: `Owner or admin (a member gets 403 \`forbidden\`; only an owner revokes an invitation to become an owner): 204, and the invitation\u2019s token no longer works (accepting it is 404). One that is not pending (accepted, expired, revoked already) or not of this organisation is 404. Audited as \`organization.invitation_revoke\`.${OUTSIDER}`,
    },
  }),
  ...refusing([401, 404, 409], {
    'POST /api/invitations/:token/accept': {
      summary: 'Accept an invitation',
      description:
        'The signed-in user whose email is the invitation\u2019s joins the organisation with its role, and gets the account (its id is what `X-Account` names). A used, expired or unknown token, or one addressed to another email, is 404; a user who is a member already is 409 (the invitation stays unused). Audited.',
    },
  }),
  ...refusing([401, 403, 404, 409], {
    'DELETE /api/orgs/:id/members/:userId': {
      summary: 'Remove a member',
      description: `Owner or admin removes a member; any member may remove themselves (leave). Only an owner removes an owner, and the last owner cannot be removed (409). From the next request on, on every instance, the removed user gets 404 for the organisation (membership is read on each request). Their past rows keep their \`memberId\`. Audited.${OUTSIDER}`,
    },
  }),
};
