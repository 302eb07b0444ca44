/**
 * The administration of organisations (issue 18, "Admin: organisations ... with members,
 * adjustments to an organisation's account"): organisations with their figures and members,
 * and an admin's adjustment of an organisation's credits.
 */
import { z } from 'zod';
import { credits, freeText, nullableText, pageOf, paginationQuery } from './common.js';
import { balanceFields } from './credits.js';

const role = z.enum(['owner', 'admin', 'member']);

export const adminOrgMemberSchema = z.object({
  userId: z.string(),
  email: z.string(),
  name: z.string(),
  role,
  monthlyLimit: credits.nullable().meta({ description: 'Credits per calendar month (UTC); null: no limit.' }),
});

export const adminOrganizationSchema = z
  .object({
    id: z.string().meta({ description: 'The account id (what `X-Account` names).' }),
    name: z.string(),
    externalId: nullableText('The platform’s own id of the organisation (the service API’s `customer`); null when none was given.'),
    ...balanceFields,
    createdAt: z.string(),
    members: z.array(adminOrgMemberSchema).meta({ description: 'Every member, owners first, then admins, then members, each by email.' }),
  })
  .meta({ id: 'AdminOrganization' });

export const adminOrganizationsQuery = paginationQuery.extend({
  search: freeText({ max: 200 })
    .optional()
    .meta({ description: 'Matches the organisation’s name or external id, or a member’s email, case-insensitively.' }),
});

export const adminOrganizationsPage = pageOf(adminOrganizationSchema);
