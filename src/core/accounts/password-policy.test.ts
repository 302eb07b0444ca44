import { afterAll, describe, expect, it } from 'vitest';
import { DomainError } from '../errors.js';
import { assertPasswordAllowed, passwordProblem, passwordProblemOffThread } from './password-policy.js';
import { setStrengthIdleMs, stopStrengthWorker, strengthWorkerRunning } from './password-strength.js';

afterAll(() => {
  setStrengthIdleMs(10_000);
  return stopStrengthWorker();
});

const CASES: [string, string[]][] = [
  ['short', []],
  ['password123', []],
  ['gracehopper', ['grace@example.com', 'Grace Hopper']],
  ['cobol-forever-1959', ['grace@example.com', 'Grace Hopper']],
  ['correct horse battery staple', []],
  ['        ', []],
  ['x'.repeat(201), []],
];

describe('the password policy', () => {
  it('answers off the event loop: the loop keeps turning while the estimator loads and checks', async () => {
    let turns = 0;
    let done = false;
    const spin = () => {
      if (done) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    const problem = await passwordProblemOffThread('cobol-forever-1959', ['grace@example.com']);
    done = true;
    expect(problem).toBeNull();
    // In-thread, the first check (the dictionaries load: hundreds of milliseconds) would
    // let the loop turn at most once before answering.
    expect(turns).toBeGreaterThan(10);
  });

  it('gives the same sentence off the thread as on it', async () => {
    for (const [password, inputs] of CASES) {
      expect(await passwordProblemOffThread(password, inputs)).toBe(passwordProblem(password, inputs));
    }
    expect(passwordProblem('cobol-forever-1959', ['grace@example.com'])).toBeNull();
    expect(passwordProblem('password123')).toMatch(/^Password is too easy to guess\./);
  });

  it('answers checks in flight together, each its own', async () => {
    const answers = await Promise.all(CASES.map(([p, i]) => passwordProblemOffThread(p, i)));
    expect(answers).toEqual(CASES.map(([p, i]) => passwordProblem(p, i)));
  });

  it('refuses with validation_error naming the field, and starts a new worker after one ends', async () => {
    const refused = await assertPasswordAllowed('gracehopper', ['grace@example.com', 'Grace Hopper'], 'body.newPassword').catch((e) => e);
    expect(refused).toBeInstanceOf(DomainError);
    expect(refused.code).toBe('validation_error');
    expect((refused as DomainError).details?.fields).toEqual([expect.objectContaining({ path: 'body.newPassword', field: 'newPassword' })]);
    await stopStrengthWorker();
    await expect(assertPasswordAllowed('cobol-forever-1959', ['grace@example.com'])).resolves.toBeUndefined();
  });

  it('ends the worker once it has been idle (it holds the dictionaries), not while checks keep coming, and starts it again', async () => {
    await stopStrengthWorker();
    setStrengthIdleMs(150);
    try {
      // The first check outlasts the idle time (the dictionaries load: hundreds of
      // milliseconds) and is answered: the idle time counts from an answer.
      const started = performance.now();
      expect(await passwordProblemOffThread('password123')).toMatch(/too easy/);
      expect(performance.now() - started).toBeGreaterThan(150);
      expect(strengthWorkerRunning()).toBe(true);
      // Checks that come within the idle time keep the one worker.
      expect(await passwordProblemOffThread('cobol-forever-1959', ['grace@example.com'])).toBeNull();
      expect(strengthWorkerRunning()).toBe(true);
      // Idle past its time: ended.
      await expect.poll(() => strengthWorkerRunning(), { timeout: 5000, interval: 20 }).toBe(false);
      // The next check starts a new one and gets the same answer.
      expect(await passwordProblemOffThread('password123')).toBe(passwordProblem('password123'));
      expect(strengthWorkerRunning()).toBe(true);
      await expect.poll(() => strengthWorkerRunning(), { timeout: 5000, interval: 20 }).toBe(false);
    } finally {
      setStrengthIdleMs(10_000);
    }
  });
});
