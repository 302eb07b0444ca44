/**
 * An audit entry in words: "root@example.com refunded $45.00 to dana@example.com", with
 * credits and money formatted and people named by their email (linked to their page).
 * Amounts the entries keep in millicredits (`amountMc`, `creditsMc`, a package's `credits`)
 * read as credits, cents as money.
 */
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import type { Shape } from '../../../contracts/types';
import { creditsText, formatMoney, humanize, unitLabel } from '../../lib/format';

type Entry = Shape<'AuditEntry'>;
type Details = Record<string, unknown>;

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const mcText = (mc: unknown) => {
  const n = num(mc);
  return n === null ? '' : creditsText(n / 1000);
};

function userLink(id: string | null, email: string | null, fallback: string): ReactNode {
  const text = email ?? fallback;
  return id ? <Link to={`/admin/users/${encodeURIComponent(id)}`}>{text}</Link> : text;
}

/** Who acted: their email (a link), or the service itself. */
export function actorOf(e: Entry): ReactNode {
  if (!e.actorId) return 'The service';
  return userLink(e.actorId, e.actorEmail, 'a deleted user');
}

/** The organisation an entry is about, by its name. */
const orgOf = (e: Entry) => `the organisation ${e.targetName ?? e.targetId ?? ''}`.trim();

/** The person the entry concerns, by email (or the organisation it concerns). */
function targetUser(e: Entry): ReactNode {
  if (e.targetType === 'organization') return orgOf(e);
  return userLink(e.targetUserId, e.targetEmail, e.targetId ? `user ${e.targetId}` : 'a user');
}

const roleText = (role: unknown) => (str(role) ? humanize(role as string).toLowerCase() : 'a member');
/** The member an organisation's entry names (`details.userId`), linked to their page. */
const memberOf = (d: Details) => userLink(str(d.userId), null, 'a member');
const limitText = (mc: unknown) => (num(mc) === null ? 'no limit' : `${mcText(mc)} a month`);

/** A member's changed role and monthly limit: "role admin → member, limit no limit → 50 credits a month". */
function memberChanges(d: Details): string {
  const from = (d.from ?? {}) as Details;
  const to = (d.to ?? {}) as Details;
  const parts: string[] = [];
  if (from.role !== to.role) parts.push(`role ${roleText(from.role)} → ${roleText(to.role)}`);
  if (from.monthlyLimitMc !== to.monthlyLimitMc) parts.push(`limit ${limitText(from.monthlyLimitMc)} → ${limitText(to.monthlyLimitMc)}`);
  return parts.join(', ');
}

/** "Message per message" from `message per_message`. */
function ruleWords(e: Entry, d: Details): string {
  const [op, unit] = (e.targetName ?? '').split(' ');
  const operation = str(d.operation) ?? op;
  const u = str(d.unit) ?? unit;
  return operation ? `${humanize(operation)} ${u ? unitLabel(u) : ''}`.trim() : 'a pricing rule';
}

/** A package's changed fields in words: "price $9.00, 1,000 credits, inactive". */
function packageChanges(d: Details): string {
  const parts: string[] = [];
  if (str(d.name)) parts.push(`name “${d.name}”`);
  if (num(d.credits) !== null) parts.push(mcText(d.credits));
  if (num(d.bonusCredits) !== null) parts.push(`bonus ${mcText(d.bonusCredits)}`);
  if (num(d.priceCents) !== null) parts.push(`price ${formatMoney(d.priceCents as number, str(d.currency) ?? 'usd')}`);
  if (typeof d.popular === 'boolean') parts.push(d.popular ? 'marked popular' : 'not marked popular');
  if (typeof d.active === 'boolean') parts.push(d.active ? 'active' : 'inactive');
  return parts.join(', ');
}

/**
 * The actions on one named thing, in words: "<who> <verb> <thing> <its name>", the name read
 * from the entry's details (`detail`; in quotes when `quoted`) or else the entry's target.
 */
const ON_A_THING: Record<string, { verb: string; thing: string; detail?: string; quoted?: boolean }> = {
  'package.create': { verb: 'created', thing: 'the package', detail: 'name', quoted: true },
  'api_key.create': { verb: 'created', thing: 'the API key', detail: 'name', quoted: true },
  'api_key.revoke': { verb: 'revoked', thing: 'the API key', detail: 'name', quoted: true },
  'webhook_endpoint.create': { verb: 'added', thing: 'the webhook endpoint', detail: 'url' },
  'webhook_endpoint.delete': { verb: 'deleted', thing: 'the webhook endpoint', detail: 'url' },
};

/** What happened, as one sentence. */
export function describeEntry(e: Entry): ReactNode {
  const d: Details = e.details ?? {};
  const who = actorOf(e);
  const name = e.targetName ?? e.targetId ?? '';
  const onThing = Object.hasOwn(ON_A_THING, e.action) ? ON_A_THING[e.action] : undefined;
  if (onThing) {
    const named = (onThing.detail ? str(d[onThing.detail]) : null) ?? name;
    return (
      <>
        {who} {onThing.verb} {onThing.thing} {onThing.quoted ? `“${named}”` : named}
      </>
    );
  }
  switch (e.action) {
    case 'credits.adjust': {
      const mc = num(d.amountMc) ?? 0;
      return mc >= 0 ? (
        <>
          {who} added {mcText(mc)} to {targetUser(e)}
        </>
      ) : (
        <>
          {who} took {mcText(-mc)} from {targetUser(e)}
        </>
      );
    }
    case 'payment.refund':
      return (
        <>
          {who} refunded {num(d.amountCents) !== null ? formatMoney(d.amountCents as number) : 'a payment'} to {targetUser(e)}
        </>
      );
    case 'payment.mismatch':
      return <>A Stripe event did not match the payment of {targetUser(e)} and was not applied</>;
    case 'payment.recovered':
      return <>The payment of {targetUser(e)} was rebuilt from its Stripe PaymentIntent</>;
    case 'payment.unrecoverable':
      return <>A Stripe payment could not be matched to an account</>;
    case 'user.role':
      return (
        <>
          {who} changed the role of {targetUser(e)} from {humanize(String(d.from ?? ''))} to {humanize(String(d.to ?? ''))}
        </>
      );
    case 'setup.super_admin':
      return <>{who} set up the service as its first super admin</>;
    case 'package.update':
      return (
        <>
          {who} changed the package “{name}”{packageChanges(d) ? `: ${packageChanges(d)}` : ''}
        </>
      );
    case 'pricing.create':
      return (
        <>
          {who} priced {ruleWords(e, d)} at {mcText(d.creditsMc)}
        </>
      );
    case 'pricing.reprice':
      return (
        <>
          {who} changed the price of {ruleWords(e, d)} from {mcText(d.fromMc)} to {mcText(d.toMc)}
        </>
      );
    case 'pricing.update':
      return (
        <>
          {who} changed the pricing rule {ruleWords(e, d)}
          {typeof d.active === 'boolean' ? (d.active ? ': active' : ': inactive') : ''}
        </>
      );
    case 'promo_code.create':
      return (
        <>
          {who} created the promo code {str(d.code) ?? name} ({mcText(d.creditsMc)})
        </>
      );
    case 'promo_code.deactivate':
    case 'promo_code.activate':
      return (
        <>
          {who} {e.action === 'promo_code.deactivate' ? 'deactivated' : 'reactivated'} the promo code {str(d.code) ?? name}
        </>
      );
    case 'webhook_delivery.retry':
      return (
        <>
          {who} sent {str(d.eventType) ? `the ${d.eventType} event` : 'a webhook delivery'} again
          {str(d.url) ? ` to ${d.url}` : ''}
        </>
      );
    case 'webhook_endpoint.update': {
      const url = str(d.url) ?? name;
      // Only its switch: said as such; anything else as a change, with the events it now takes.
      const onlySwitch = typeof d.enabled === 'boolean' && d.events === undefined;
      if (onlySwitch)
        return (
          <>
            {who} {d.enabled ? 'enabled' : 'disabled'} the webhook endpoint {url}
          </>
        );
      return (
        <>
          {who} changed the webhook endpoint {url}
          {Array.isArray(d.events) ? `: events ${d.events.join(', ')}` : ''}
        </>
      );
    }
    case 'organization.create':
      return (
        <>
          {who} created the organisation “{str(d.name) ?? name}”{str(d.externalId) ? ` (external id ${d.externalId})` : ''}
        </>
      );
    case 'organization.invite':
      return (
        <>
          {who} invited {str(d.email) ?? 'someone'} to {orgOf(e)} as {roleText(d.role)}
        </>
      );
    case 'organization.invitation_revoke':
      return (
        <>
          {who} revoked the invitation of {str(d.email) ?? 'someone'} to {orgOf(e)}
        </>
      );
    case 'organization.join':
      return (
        <>
          {who} joined {orgOf(e)} as {roleText(d.role)}
        </>
      );
    case 'organization.leave':
      return (
        <>
          {who} left {orgOf(e)}
        </>
      );
    case 'organization.member_remove':
      return (
        <>
          {who} removed {memberOf(d)} from {orgOf(e)}
        </>
      );
    case 'organization.member_update':
      return (
        <>
          {who} changed {memberOf(d)} in {orgOf(e)}
          {memberChanges(d) ? `: ${memberChanges(d)}` : ''}
        </>
      );
    default: {
      const [area, verb] = e.action.split('.');
      const target = e.targetUserId ? targetUser(e) : [humanize(e.targetType).toLowerCase(), name].filter(Boolean).join(' ');
      return (
        <>
          {who}: {humanize(verb ?? area ?? e.action).toLowerCase()} {humanize(area ?? '').toLowerCase()} ({target})
        </>
      );
    }
  }
}

/** What an entry keeps besides its sentence, in words: the reason of an adjustment, a refund's provider, a Stripe id. */
export function entryNotes(e: Entry): string {
  const d: Details = e.details ?? {};
  const notes: string[] = [];
  if (str(d.reason)) notes.push(`Reason: ${d.reason}`);
  if (e.action === 'payment.refund' && str(d.provider))
    notes.push(d.provider === 'stripe' ? 'Refunded through Stripe' : 'A simulated payment');
  if (num(d.refundedCents) !== null) notes.push(`${formatMoney(d.refundedCents as number)} refunded in all`);
  if (str(d.eventId)) notes.push(`Stripe event ${d.eventId}`);
  if (str(d.intentId)) notes.push(`PaymentIntent ${d.intentId}`);
  if (str(d.prefix)) notes.push(`Key ${d.prefix}…`);
  if (Array.isArray(d.events)) notes.push(`Events: ${d.events.join(', ')}`);
  return notes.join(' · ');
}
