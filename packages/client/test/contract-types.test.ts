/**
 * The client's types against the service's own zod contracts (src/contracts/service.ts).
 * They are generated from those contracts (scripts/client-types.ts -> contracts.gen.ts),
 * so first: the committed file is what the generator makes of today's contracts. Then,
 * checked by the compiler in `npm run typecheck`: every answer the service gives fits the
 * type the client returns, and every input the client's types allow is a body the service
 * accepts (the client's own additions, such as the flattened results, included).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generate } from '../../../scripts/client-types.js';
import type { z } from 'zod';
import type { balanceSchema } from '../../../src/contracts/credits.js';
import type * as service from '../../../src/contracts/service.js';
import type {
  Balance,
  BatchEvent,
  BatchResult,
  CaptureInput,
  Customer,
  CustomerInput,
  ExtendResult,
  HoldInput,
  HoldStatus,
  ReleaseResult,
  UsageInput,
} from '../src/index.js';

type Fits<A, B> = [A] extends [B] ? true : false;
type Out<T extends z.ZodType> = z.output<T>;
type In<T extends z.ZodType> = z.input<T>;

// Answers: what the service sends fits what the client hands back.
const answers: [
  Fits<Out<typeof service.customerSchema>, Customer>,
  Fits<Out<typeof balanceSchema>, Balance>,
  Fits<Out<typeof service.serviceUsageResponse>, { usage: { id: string | null }; credits: { charged: number; balance: number } }>,
  Fits<Out<typeof service.usageBatchResponse>['results'][number], BatchResult>,
  Fits<Out<typeof service.holdResponse>['hold'], { id: string; status: HoldStatus; credits: number; expiresAt: string }>,
  Fits<
    Out<typeof service.captureResponse>,
    { hold: { id: string; status: 'captured'; credits: number; heldCredits: number }; credits: { charged: number; balance: number } }
  >,
  Fits<Out<typeof service.releaseResponse>['hold'], ReleaseResult>,
  Fits<Out<typeof service.extendResponse>['hold'], ExtendResult>,
] = [true, true, true, true, true, true, true, true];

// Requests: what the client's types let a caller send is a body the service takes.
const requests: [
  Fits<CustomerInput, NonNullable<In<typeof service.customerBody>>>,
  Fits<Omit<UsageInput, 'idempotencyKey'>, In<typeof service.serviceUsageBody>>,
  Fits<BatchEvent, In<typeof service.usageEvent>>,
  Fits<Omit<HoldInput, 'idempotencyKey'>, In<typeof service.holdBody>>,
  Fits<Omit<CaptureInput, 'idempotencyKey'>, In<typeof service.captureBody>>,
  Fits<{ ttlSeconds: number }, In<typeof service.extendBody>>,
] = [true, true, true, true, true, true];

describe("the client's types", () => {
  it('are generated from the contracts as they are now (`npm run client:types`)', { timeout: 60_000 }, async () => {
    const committed = readFileSync(new URL('../src/contracts.gen.ts', import.meta.url), 'utf8');
    expect(committed).toBe(await generate());
    expect(committed).toContain('export interface HoldBody');
  });

  it('match the service contracts (checked by the compiler; see the tuples above)', () => {
    expect([...answers, ...requests].every(Boolean)).toBe(true);
  });
});
