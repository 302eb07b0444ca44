import { describe, expect, it } from 'vitest';
import { isConnectionError, isUnavailableError } from './errors.js';

describe('database error classes', () => {
  it('recognises lost connections by SQLSTATE, socket code and node-postgres message', () => {
    expect(isConnectionError(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(
      true,
    );
    expect(isConnectionError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('database "credits" does not exist'), { code: '3D000' }))).toBe(true);
    expect(isConnectionError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionError(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('the database system is starting up'), { code: '57P03' }))).toBe(true);
  });

  it('leaves statement errors alone: they are bugs or conflicts, not outages', () => {
    expect(isConnectionError(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
    expect(isConnectionError(Object.assign(new Error('could not serialize'), { code: '40001' }))).toBe(false);
    expect(isConnectionError(new Error('boom'))).toBe(false);
    expect(isConnectionError(null)).toBe(false);
    expect(isConnectionError('ECONNRESET')).toBe(false);
  });

  it('counts a SQLite lock timeout as unavailable but not as a lost connection', () => {
    const busy = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    expect(isUnavailableError(busy)).toBe(true);
    expect(isConnectionError(busy)).toBe(false);
  });
});
