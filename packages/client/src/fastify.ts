/**
 * Fastify hook: `app.post('/screen', { preHandler: requireCredits({...}) }, handler)`
 * reserves the cost before the handler, captures it when the reply finishes with a status
 * below 400 (`request.creditsQuantity`, when the handler sets it, replaces `quantity`: a
 * non-negative number or a string of one in plain decimals, rounded up to 3 decimals; set
 * to anything else, the hold is released and `onSettleError` told), releases it otherwise,
 * and answers 402 with the contract's error body when the customer cannot afford it. The
 * hold is in `request.creditsHold` for the handler.
 */
import { type RequireCreditsOptions, reserve, settle } from './middleware.js';

export type { RequireCreditsOptions } from './middleware.js';

/** What the hook needs of Fastify's reply (Fastify 4 and 5 have it). */
export interface FastifyLikeReply {
  statusCode: number;
  code(statusCode: number): unknown;
  send(payload?: unknown): unknown;
  raw: { writableFinished: boolean; closed?: boolean; destroyed?: boolean; once(event: 'finish' | 'close', listener: () => void): unknown };
}

export function requireCredits<Req extends object = any>(opts: RequireCreditsOptions<Req>) {
  return async function creditsPreHandler(request: Req, reply: FastifyLikeReply): Promise<unknown> {
    const reserved = await reserve(opts, request);
    if ('status' in reserved) {
      reply.code(402);
      reply.send(reserved.body);
      // Returning the reply tells Fastify it has been answered: the handler does not run.
      return reply;
    }
    if (reply.raw.closed || reply.raw.destroyed) {
      // The client went away while the hold was being made: release it; nobody gets the answer.
      await settle(opts, request, reserved, false, undefined);
      return reply;
    }
    const r = request as Req & { creditsHold?: unknown; creditsQuantity?: unknown };
    r.creditsHold = reserved.hold;
    let done = false;
    const finish = (succeeded: boolean) => {
      if (done) return;
      done = true;
      void settle(opts, request, reserved, succeeded && reply.statusCode < 400, r.creditsQuantity);
    };
    reply.raw.once('finish', () => finish(true));
    reply.raw.once('close', () => finish(reply.raw.writableFinished));
    return undefined;
  };
}
