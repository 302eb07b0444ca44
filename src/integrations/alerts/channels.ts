/** The alert channel by email through SMTP (nodemailer); the alert webhook is an events endpoint (core/events). */
import nodemailer from 'nodemailer';
import type { AlertChannel, AlertMessage } from '../../core/alerts/deliver-alerts.js';

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
      await transport.sendMail({
        from,
        to: alert.email,
        subject: SUBJECTS[alert.type] ?? 'Credits notification',
        text: `${alert.message}\n`,
      });
    },
  };
}
