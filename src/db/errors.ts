/**
 * Database failures that are not the request's fault. They answer 503 (with Retry-After)
 * instead of 500, and the ledger writer treats a lost connection as "outcome unknown":
 * it never re-runs the operations of that transaction on another connection, because
 * the COMMIT may have reached the server before the connection died. A client that sent
 * an Idempotency-Key retries safely (the key was committed with the effect, or nothing
 * was); that is the contract in API.md.
 */

/** Postgres SQLSTATEs and socket errors meaning the connection or server went away. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '08000', // connection_exception
  '08001', // sqlclient_unable_to_establish_sqlconnection
  '08003', // connection_does_not_exist
  '08004', // sqlserver_rejected_establishment_of_sqlconnection
  '08006', // connection_failure
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down, recovering)
  '53300', // too_many_connections
  '3D000', // invalid_catalog_name: the database was dropped under the service (dropdb --force)
  'SQLITE_IOERR_FSYNC', // SQLite: a commit's sync failed (open.ts sqliteWalSync), whether it is on disk is unknown
]);

/** What node-postgres says (without a code) when a connection ends or cannot be had. */
const CONNECTION_MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable|Connection ended|the database system is (starting up|shutting down|in recovery mode)/i;

function codeOf(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

/** The connection to the database was lost or could not be made. */
export function isConnectionError(e: unknown): boolean {
  if (!e || typeof e !== 'object') return false;
  const code = codeOf(e);
  if (code && CONNECTION_CODES.has(code)) return true;
  const message = (e as { message?: unknown }).message;
  return typeof message === 'string' && CONNECTION_MESSAGES.test(message);
}

/** SQLite could not get the lock it needed (in the busy timeout, or at once where SQLite does not wait). */
export function isSqliteBusy(e: unknown): boolean {
  return codeOf(e) === 'SQLITE_BUSY';
}

/** The database cannot serve right now (lost connection, or SQLite's lock wait ran out): 503. */
export function isUnavailableError(e: unknown): boolean {
  return isConnectionError(e) || isSqliteBusy(e);
}

/** A unique constraint refused the row (Postgres 23505; SQLite's UNIQUE or PRIMARY KEY constraint). */
export function isUniqueViolation(e: unknown): boolean {
  const code = codeOf(e);
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** Worth one more try: a serialisation failure or deadlock (Postgres 40001, 40P01), a unique race, a busy SQLite. */
export function isTransientConflict(e: unknown): boolean {
  const code = codeOf(e);
  return code === '40001' || code === '40P01' || code === 'SQLITE_BUSY' || isUniqueViolation(e);
}
