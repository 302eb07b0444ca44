/** Account mails (verification, password reset) through SMTP with nodemailer. */
import nodemailer from 'nodemailer';
import type { Mail } from '../../core/accounts/mailer.js';

export interface Mailer {
  send(mail: Mail): Promise<void>;
}

export function smtpMailer(smtpUrl: string, from: string): Mailer {
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    async send(mail) {
      await transport.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text });
    },
  };
}
