/**
 * verifyWebhook: Standard Webhooks signatures (the specification's own test vector, checked
 * with openssl), the 5-minute timestamp tolerance, several signatures in one header, and
 * every way a delivery can be wrong.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { WebhookVerificationError, verifyWebhook } from '../src/index.js';

// From the Standard Webhooks specification's examples.
const SPEC = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: '1614265330',
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const SECRET = `whsec_${Buffer.from('a-test-secret-of-32-bytes-length').toString('base64')}`;

function signed(body: string, at = Math.floor(Date.now() / 1000), id = 'evt_1', secret = SECRET) {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const sig = createHmac('sha256', key).update(`${id}.${at}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': String(at), 'webhook-signature': `v1,${sig}` };
}

describe('verifyWebhook', () => {
  it('accepts the specification’s example at its time, and not five minutes and a second later', () => {
    const at = new Date(Number(SPEC.timestamp) * 1000);
    const headers = { 'webhook-id': SPEC.id, 'webhook-timestamp': SPEC.timestamp, 'webhook-signature': SPEC.signature };
    expect(() => verifyWebhook(SPEC.secret, SPEC.body, headers, { now: at })).toThrow(/not an event/); // signature good; the example body is no event
    expect(() => verifyWebhook(SPEC.secret, SPEC.body, headers, { now: new Date(at.getTime() + 301_000) })).toThrow(/too far/);
    expect(() => verifyWebhook(SPEC.secret, SPEC.body, { ...headers, 'webhook-signature': 'v1,AAAA' }, { now: at })).toThrow(
      /No webhook-signature/,
    );
  });

  it('returns the event of a good delivery, from Node headers, Headers or a Buffer body', () => {
    const body = JSON.stringify({ type: 'balance.low', timestamp: '2026-12-01T10:00:00.000Z', data: { accountId: 'a1', available: 2 } });
    const h = signed(body);
    const event = verifyWebhook(SECRET, body, h);
    expect(event).toEqual({
      id: 'evt_1',
      type: 'balance.low',
      timestamp: '2026-12-01T10:00:00.000Z',
      data: { accountId: 'a1', available: 2 },
    });
    expect(verifyWebhook(SECRET, Buffer.from(body), new Headers(h)).type).toBe('balance.low');
    const upper = {
      'Webhook-Id': h['webhook-id'],
      'Webhook-Timestamp': h['webhook-timestamp'],
      'Webhook-Signature': `v1,bm90IGl0 ${h['webhook-signature']}`,
    };
    expect(verifyWebhook(SECRET, body, upper).id).toBe('evt_1'); // one of several signatures matches (key rotation)
  });

  it('refuses a changed body, another secret, another id, an old or future timestamp, missing headers', () => {
    const body = JSON.stringify({ type: 'credits.purchased', timestamp: 't', data: { credits: 100 } });
    const h = signed(body);
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, () => unknown][] = [
      ['changed body', () => verifyWebhook(SECRET, body.replace('100', '1000'), h)],
      ['other secret', () => verifyWebhook(`whsec_${Buffer.from('another-secret-another-secret-xx').toString('base64')}`, body, h)],
      ['other id', () => verifyWebhook(SECRET, body, { ...h, 'webhook-id': 'evt_2' })],
      ['old', () => verifyWebhook(SECRET, body, signed(body, now - 301))],
      ['future', () => verifyWebhook(SECRET, body, signed(body, now + 301))],
      ['v2 scheme only', () => verifyWebhook(SECRET, body, { ...h, 'webhook-signature': h['webhook-signature'].replace('v1,', 'v2,') })],
      ['no signature', () => verifyWebhook(SECRET, body, { 'webhook-id': 'evt_1', 'webhook-timestamp': String(now) })],
      ['bad timestamp', () => verifyWebhook(SECRET, body, { ...h, 'webhook-timestamp': 'soon' })],
      ['no secret', () => verifyWebhook('', body, h)],
    ];
    for (const [name, run] of cases) expect(run, name).toThrow(WebhookVerificationError);
    // Within the tolerance both ways is fine.
    expect(verifyWebhook(SECRET, body, signed(body, now - 299)).type).toBe('credits.purchased');
    expect(verifyWebhook(SECRET, body, signed(body, now + 299)).type).toBe('credits.purchased');
  });
});
