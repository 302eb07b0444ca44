/**
 * A small recruitment backend, billed through the credit billing service: sending a message,
 * screening a candidate and a timed AI interview each go through `requireCredits`, so the
 * cost is reserved before the work, charged when it succeeds (the interview by the minutes
 * it really took) and released when it fails. Who the user is comes from the platform's own
 * authentication; here, for the example, an `X-User-Id` header set by a gateway.
 */
import { CreditsApiError, type CreditsClient, type Hold } from '@credit-billing/client';
import { requireCredits } from '@credit-billing/client/express';
import express, { type NextFunction, type Request, type Response } from 'express';

export interface Platform {
  /** Delivers a message (the platform's mailer, SMS gateway...). */
  sendMessage(to: string, text: string): Promise<void>;
  /** Scores a candidate (the platform's screening model). */
  screen(candidateId: string): Promise<{ score: number }>;
  /** Runs an interview; resolves with how long it really took, in seconds. */
  interview(candidateId: string, maxSeconds: number): Promise<{ durationSeconds: number }>;
}

const userOf = (req: Request) => {
  const id = req.header('x-user-id');
  if (!id) throw Object.assign(new Error('Sign in first.'), { status: 401 });
  return id;
};

export function createApp(credits: CreditsClient, platform: Platform) {
  const app = express();
  app.use(express.json());

  // The platform's users become customers of the billing service when they sign up.
  app.post('/users/:id', async (req, res) => {
    const customer = await credits.upsertCustomer(req.params.id, { email: req.body.email, name: req.body.name });
    res.status(201).json({ user: req.params.id, accountId: customer.accountId });
  });

  app.get('/credits', async (req, res) => {
    res.json(await credits.balance(userOf(req)));
  });

  app.post(
    '/messages',
    requireCredits({ client: credits, customer: userOf, operation: 'message', unit: 'per_message', quantity: 1 }),
    async (req, res) => {
      await platform.sendMessage(String(req.body.to), String(req.body.text));
      res.status(201).json({ sent: true });
    },
  );

  app.post(
    '/candidates/:id/screen',
    requireCredits({ client: credits, customer: userOf, operation: 'candidate_screening', unit: 'per_candidate', quantity: 1 }),
    async (req, res) => {
      res.json(await platform.screen(String(req.params.id)));
    },
  );

  // A timed interview: reserve its longest length, charge the minutes it really took.
  app.post(
    '/interviews',
    requireCredits({
      client: credits,
      customer: userOf,
      operation: 'ai_interview',
      unit: 'per_minute',
      quantity: (req: Request) => Number(req.body.maxMinutes ?? 30) * 60,
    }),
    async (req, res) => {
      const hold = res.locals.creditsHold as Hold;
      const { durationSeconds } = await platform.interview(String(req.body.candidateId), Number(req.body.maxMinutes ?? 30) * 60);
      res.locals.creditsQuantity = durationSeconds;
      res.status(201).json({ durationSeconds, hold: hold.id });
    },
  );

  app.use((err: Error & { status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof CreditsApiError) {
      res.status(err.status === 404 ? 404 : 502).json(err.body);
      return;
    }
    res.status(err.status ?? 500).json({ error: { code: err.status === 401 ? 'unauthorized' : 'internal_error', message: err.message } });
  });
  return app;
}
