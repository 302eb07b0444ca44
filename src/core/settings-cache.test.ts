import { describe, expect, it } from 'vitest';
import { SettingsCache } from './settings-cache.js';

describe('SettingsCache', () => {
  it('serves a value until its time is up, then loads again', async () => {
    let t = 0;
    let loads = 0;
    const c = new SettingsCache<number>(100, () => t);
    const load = async () => ++loads;
    expect(await c.get('u', load)).toBe(1);
    t = 99;
    expect(await c.get('u', load)).toBe(1);
    t = 100;
    expect(await c.get('u', load)).toBe(2);
  });

  it('does not keep a read that overlapped an invalidation', async () => {
    const c = new SettingsCache<string>(10_000);
    let release!: (v: string) => void;
    const slow = c.get('u', () => new Promise<string>((r) => (release = r)));
    c.invalidate('u'); // the user saves new settings while the old ones are being read
    release('old');
    expect(await slow).toBe('old');
    expect(await c.get('u', async () => 'new')).toBe('new');
  });

  it('shares a load between callers, but not with one that comes after an invalidation', async () => {
    const c = new SettingsCache<string>(10_000);
    let loads = 0;
    let release!: (v: string) => void;
    const slow = () => {
      loads++;
      return new Promise<string>((r) => (release = r));
    };
    const a = c.get('u', slow);
    const b = c.get('u', slow);
    expect(loads).toBe(1);
    const releaseOld = release;
    c.invalidate('u');
    const after = c.get('u', async () => 'new');
    releaseOld('old');
    expect([await a, await b, await after]).toEqual(['old', 'old', 'new']);
    expect(await c.get('u', async () => 'newer')).toBe('new');
  });

  it('clears itself when full', async () => {
    const c = new SettingsCache<string>(10_000, Date.now, 2);
    await c.get('a', async () => 'a1');
    await c.get('b', async () => 'b1');
    await c.get('c', async () => 'c1');
    expect(await c.get('a', async () => 'a2')).toBe('a2');
  });

  it('loads afresh when asked, and a load that started earlier and ends later does not replace it', async () => {
    const c = new SettingsCache<string>(10_000);
    const release: ((v: string) => void)[] = [];
    const held = () => new Promise<string>((r) => release.push(r));
    const older = c.get('u', held);
    const fresh = c.get('u', held, true);
    expect(release.length).toBe(2);
    release[1]?.('new');
    expect(await fresh).toBe('new');
    release[0]?.('old');
    expect(await older).toBe('old');
    expect(await c.get('u', async () => 'other')).toBe('new');
  });

  it('invalidateAll forgets every entry and every load in flight', async () => {
    const c = new SettingsCache<string>(10_000);
    await c.get('a', async () => 'a1');
    let release!: (v: string) => void;
    const slow = c.get('b', () => new Promise<string>((r) => (release = r)));
    c.invalidateAll();
    release('b1');
    expect(await slow).toBe('b1');
    expect(await c.get('a', async () => 'a2')).toBe('a2');
    expect(await c.get('b', async () => 'b2')).toBe('b2');
  });
});
