/** Alert channels: a signed webhook and email through SMTP (nodemailer). */
import { createHmac } from 'node:crypto';
import nodemailer from 'nodemailer';
import type { AlertChannel, AlertMessage } from '../../core/alerts/deliver-alerts.js';

export const SIGNATURE_HEADER = 'x-credits-signature';

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`, the scheme Stripe uses, so receivers can reject replays. */
export function signBody(secret: string, body: string, t = Math.floor(Date.now() / 1000)): string {
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

export function webhookChannel(url: string, secret: string | undefined): AlertChannel {
  return {
    name: 'webhook',
    async send(alert: AlertMessage) {
      const body = JSON.stringify({ id: alert.id, type: alert.type, userId: alert.userId, message: alert.message, createdAt: alert.createdAt });
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(secret ? { [SIGNATURE_HEADER]: signBody(secret, body) } : {}) },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) throw new Error(`webhook answered ${res.status}`);
    },
  };
}

const SUBJECTS: Record<string, string> = {
  low_balance: 'Your credits are running low',
  depleted: 'You are out of credits',
  purchase_succeeded: 'Payment received',
  payment_failed: 'Your payment failed',
  auto_recharge_succeeded: 'Credits recharged',
  auto_recharge_failed: 'Auto-recharge failed',
  refund: 'Refund processed',
  backup_failed: 'Credits service: a backup failed',
};

export function emailChannel(smtpUrl: string, from: string): AlertChannel {
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    name: 'email',
    async send(alert: AlertMessage) {
      await transport.sendMail({ from, to: alert.email, subject: SUBJECTS[alert.type] ?? 'Credits notification', text: `${alert.message}\n` });
    },
  };
}
