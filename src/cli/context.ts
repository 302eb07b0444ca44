/** What every `credits` command shares: the configuration (exit 2 when it is invalid) and where the data is. */
import { type Config, ConfigError, loadConfig } from '../config.js';

export function config(): Config {
  try {
    return loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
}

/** The database in words, without the password. */
export function where(c: Config): string {
  return c.databaseUrl ? `PostgreSQL (${c.databaseUrl.replace(/\/\/[^@]*@/, '//***@')})` : `SQLite (${c.sqlitePath})`;
}
