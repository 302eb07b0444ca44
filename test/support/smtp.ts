/** A local SMTP server (the smtp-server package) that keeps every mail, for the account flows. */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  subject: string;
  /** The text body, quoted-printable decoded. */
  text: string;
}

export interface LocalSmtp {
  url: string;
  mails: ReceivedMail[];
  /** Waits for a mail to `to` (and whose subject matches) beyond the first `after` of them. */
  waitFor(to: string, subject?: RegExp, after?: number, ms?: number): Promise<ReceivedMail>;
  /** Mails to `to` so far. */
  to(to: string): ReceivedMail[];
  close(): Promise<void>;
}

function decode(raw: string): { subject: string; text: string } {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  let body = raw.slice(split + 4);
  const subject = /^Subject: (.*)$/im.exec(head)?.[1]?.trim() ?? '';
  if (/^Content-Transfer-Encoding: quoted-printable/im.test(head)) {
    body = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
  } else if (/^Content-Transfer-Encoding: base64/im.test(head)) {
    body = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  }
  return { subject, text: body };
}

export async function startSmtp(): Promise<LocalSmtp> {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, cb) {
      let raw = '';
      stream.setEncoding('utf8');
      stream.on('data', (c) => (raw += c));
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()), ...decode(raw) });
        cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.server.address() as AddressInfo).port;
  const to = (addr: string) => mails.filter((m) => m.to.includes(addr.toLowerCase()));
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    to,
    async waitFor(addr, subject, after = 0, ms = 20_000) {
      const end = Date.now() + ms;
      for (;;) {
        const found = to(addr)
          .slice(after)
          .find((m) => !subject || subject.test(m.subject));
        if (found) return found;
        if (Date.now() > end)
          throw new Error(`no mail to ${addr}${subject ? ` matching ${subject}` : ''} (got: ${mails.map((m) => m.subject).join(', ')})`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** The token of the first dashboard link (`/<page>#token=...`) in a mail. */
export function linkToken(mail: ReceivedMail, page: 'verify-email' | 'reset-password'): string {
  const m = new RegExp(`/${page}#token=([A-Za-z0-9_-]+)`).exec(mail.text);
  if (!m) throw new Error(`no ${page} link in: ${mail.text}`);
  return m[1] as string;
}
