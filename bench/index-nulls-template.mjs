/**
 * A migrated SQLite database of one build, for bench/index-nulls-insert.mjs:
 * `node bench/index-nulls-template.mjs <build dir with dist/> <file>`.
 */
const [dir, file] = process.argv.slice(2);
const { openDatabase } = await import(`${dir}/dist/db/open.js`);
const { migrateToLatest } = await import(`${dir}/dist/db/migrate.js`);
const database = await openDatabase({ sqlitePath: file });
console.log(await migrateToLatest(database.db));
await database.close?.();
await database.db.destroy?.();
