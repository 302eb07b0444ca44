import { describe, expect, it } from 'vitest';
import { requestTarget } from './paths.js';

describe('requestTarget', () => {
  it('splits the key, encodes the path parameters and appends the query without empty values', () => {
    expect(requestTarget('GET /api/credits/balance')).toEqual({ method: 'GET', path: '/api/credits/balance' });
    expect(requestTarget('POST /api/admin/users/:id/adjustments', { id: 'a/b c' })).toEqual({
      method: 'POST',
      path: '/api/admin/users/a%2Fb%20c/adjustments',
    });
    expect(requestTarget('GET /api/credits/transactions', undefined, { type: '', limit: 20, cursor: undefined, from: null })).toEqual({
      method: 'GET',
      path: '/api/credits/transactions?limit=20',
    });
  });

  it('refuses a missing path parameter', () => {
    expect(() => requestTarget('PATCH /api/admin/packages/:id', {})).toThrow('the parameter id is missing');
  });
});
