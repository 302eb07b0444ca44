/** The HTTP sender: no redirect followed, its own timeout, and the production policy at connection time. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from '../../../test/support/webhook-receiver.js';
import { httpWebhookSender } from './http-sender.js';

describe('http webhook sender', () => {
  let rx: Receiver;
  beforeAll(async () => {
    rx = await startReceiver((r) => {
      if (r.path === '/redirect') return { status: 302 };
      if (r.path === '/slow') return 'hang';
      return { status: 200 };
    });
  });
  afterAll(async () => rx?.close());
  const req = (path: string, timeoutMs = 2000) => ({
    url: `${rx.url}${path}`,
    headers: { 'content-type': 'application/json', 'webhook-id': 'evt_1' },
    body: '{"a":1}',
    timeoutMs,
  });

  it('posts the body with the headers and answers the status', async () => {
    const open = httpWebhookSender({ production: false, allowPrivate: false });
    expect(await open.send(req('/ok'))).toEqual({ status: 200 });
    const got = rx.received.at(-1);
    expect(got?.body).toBe('{"a":1}');
    expect(got?.headers['webhook-id']).toBe('evt_1');
  });

  it('does not follow a redirect: a 3xx is the answer', async () => {
    const open = httpWebhookSender({ production: false, allowPrivate: false });
    const before = rx.received.length;
    expect(await open.send(req('/redirect'))).toEqual({ status: 302 });
    expect(rx.received.length).toBe(before + 1);
  });

  it('gives up an attempt at its timeout', async () => {
    const open = httpWebhookSender({ production: false, allowPrivate: false });
    const t = Date.now();
    await expect(open.send(req('/slow', 200))).rejects.toThrow(/timed out/);
    expect(Date.now() - t).toBeLessThan(2000);
  });

  it('in production refuses plain http and loopback addresses, by IP or by a name that resolves to one', async () => {
    const prod = httpWebhookSender({ production: true, allowPrivate: false });
    const before = rx.received.length;
    await expect(prod.send(req('/ok'))).rejects.toThrow(/https/);
    await expect(prod.send({ ...req('/ok'), url: 'https://127.0.0.1:9/x' })).rejects.toThrow(/private or loopback/);
    await expect(prod.send({ ...req('/ok'), url: 'https://localhost:9/x' })).rejects.toThrow(/private or loopback/);
    expect(rx.received.length).toBe(before);
  });
});
