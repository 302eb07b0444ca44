/** Where webhooks may go: the address classes refused in production, and the URL check. */
import { describe, expect, it } from 'vitest';
import { checkEndpointUrl, isPrivateAddress } from './endpoint-policy.js';

describe('endpoint policy', () => {
  it('knows private, loopback and reserved addresses from public ones', () => {
    for (const ip of [
      '127.0.0.1',
      '10.2.3.4',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '::1',
      '::',
      'fe80::1',
      'fd00::1',
      'fc00::2',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      '64:ff9b::a00:1',
      'ff02::1',
    ]) {
      expect(isPrivateAddress(ip), ip).toBe(true);
    }
    for (const ip of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '192.169.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808']) {
      expect(isPrivateAddress(ip), ip).toBe(false);
    }
    expect(isPrivateAddress('not-an-ip')).toBe(true);
  });

  const prod = { production: true, allowPrivate: false };
  const resolveTo = (addresses: string[]) => async () => addresses;

  it('allows any http(s) URL outside production', async () => {
    await expect(
      checkEndpointUrl('http://127.0.0.1:9/x', { production: false, allowPrivate: false }, resolveTo([])),
    ).resolves.toBeUndefined();
  });

  it('in production: https only, and no host that resolves to a private address', async () => {
    await expect(checkEndpointUrl('http://hooks.example.com/x', prod, resolveTo(['93.184.216.34']))).rejects.toMatchObject({
      code: 'validation_error',
      message: /https/,
    });
    await expect(checkEndpointUrl('https://hooks.example.com/x', prod, resolveTo(['93.184.216.34']))).resolves.toBeUndefined();
    await expect(checkEndpointUrl('https://127.0.0.1/x', prod, resolveTo([]))).rejects.toMatchObject({ message: /private or loopback/ });
    await expect(checkEndpointUrl('https://[::1]/x', prod, resolveTo([]))).rejects.toMatchObject({ message: /private or loopback/ });
    // One private address among public ones is enough to refuse (DNS may answer either).
    await expect(checkEndpointUrl('https://internal.example.com/x', prod, resolveTo(['93.184.216.34', '10.0.0.5']))).rejects.toMatchObject({
      message: /private or loopback/,
    });
    await expect(
      checkEndpointUrl('https://nowhere.example.com/x', prod, async () => {
        throw new Error('ENOTFOUND');
      }),
    ).rejects.toMatchObject({ message: /resolves/ });
    // WEBHOOKS_ALLOW_PRIVATE=true lets private addresses through, still over https.
    await expect(checkEndpointUrl('https://10.0.0.5/x', { production: true, allowPrivate: true }, resolveTo([]))).resolves.toBeUndefined();
    await expect(checkEndpointUrl('http://10.0.0.5/x', { production: true, allowPrivate: true }, resolveTo([]))).rejects.toMatchObject({
      message: /https/,
    });
  });
});
