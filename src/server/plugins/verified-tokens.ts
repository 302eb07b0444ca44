/**
 * Tokens that verified once, remembered by their exact text until they expire, so a client
 * reusing its token pays for the signature check once; a changed byte makes another token,
 * verified afresh. Bounded: when full, it is cleared.
 *
 * The map's key is the token's signature, the part after its last dot (43 characters for
 * HS256), and the entry keeps the whole token, compared in full on a hit. Keyed by the whole
 * token (200 characters and more), V8 hashed each request's new copy of the string from end to
 * end: about 0.45 µs of each metered request (bench/analysis.md, "A token's cache keyed by its
 * signature").
 */
export class VerifiedTokens<T extends { exp: number }> {
  private readonly byTail = new Map<string, { token: string; value: T }>();
  /** `toleranceS`: seconds past `exp` a token is still taken (the verifier's clock tolerance). */
  constructor(
    private readonly max: number,
    private readonly toleranceS = 0,
  ) {}

  /**
   * A remembered token's value while it has not expired at `now` (seconds); `'expired'` once it
   * has (it is then forgotten); undefined for a token not remembered.
   */
  get(token: string, now: number): T | 'expired' | undefined {
    const key = tail(token);
    const hit = this.byTail.get(key);
    if (hit === undefined || hit.token !== token) return undefined;
    if (hit.value.exp + this.toleranceS > now) return hit.value;
    this.byTail.delete(key);
    return 'expired';
  }

  /** Remembers a token that verified. */
  set(token: string, value: T): void {
    if (this.byTail.size >= this.max) this.byTail.clear();
    this.byTail.set(tail(token), { token, value });
  }
}

/** A JWT's signature: what follows its last dot (the whole text when it has none). */
const tail = (token: string) => token.slice(token.lastIndexOf('.') + 1);
