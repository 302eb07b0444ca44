/**
 * Express middleware: `app.post('/screen', requireCredits({...}), handler)` reserves the
 * cost before the handler, captures it when the response finishes with a status below 400
 * (`res.locals.creditsQuantity`, when the handler sets it, replaces `quantity`: a
 * non-negative number or a string of one in plain decimals, rounded up to 3 decimals; set
 * to anything else, the hold is released and `onSettleError` told), releases it otherwise
 * (an error status, a thrown handler, a connection closed early), and answers 402 with the
 * contract's error body when the customer cannot afford it. The hold is in
 * `res.locals.creditsHold` for the handler.
 */
import { type RequireCreditsOptions, reserve, settle } from './middleware.js';

export type { RequireCreditsOptions } from './middleware.js';

/** What the middleware needs of Express's response (Express 4 and 5 have it). */
export interface ExpressLikeResponse {
  statusCode: number;
  locals: Record<string, any>;
  headersSent: boolean;
  writableFinished: boolean;
  /** Node 18+: the connection closed (the client went away). */
  closed?: boolean;
  destroyed?: boolean;
  status(code: number): { json(body: unknown): unknown };
  once(event: 'finish' | 'close', listener: () => void): unknown;
}

export function requireCredits<Req = any>(opts: RequireCreditsOptions<Req>) {
  return async function creditsMiddleware(req: Req, res: ExpressLikeResponse, next: (err?: unknown) => void): Promise<void> {
    let reserved: Awaited<ReturnType<typeof reserve<Req>>>;
    try {
      reserved = await reserve(opts, req);
    } catch (e) {
      next(e);
      return;
    }
    if ('status' in reserved) {
      res.status(402).json(reserved.body);
      return;
    }
    const held = reserved;
    if (res.closed || res.destroyed) {
      // The client went away while the hold was being made: nobody gets the answer.
      await settle(opts, req, held, false, undefined);
      return;
    }
    res.locals.creditsHold = held.hold;
    let done = false;
    const finish = (succeeded: boolean) => {
      if (done) return;
      done = true;
      void settle(opts, req, held, succeeded && res.statusCode < 400, res.locals.creditsQuantity);
    };
    res.once('finish', () => finish(true));
    // Closed before the answer was complete (the client went away): nothing was delivered.
    res.once('close', () => finish(res.writableFinished));
    next();
  };
}
