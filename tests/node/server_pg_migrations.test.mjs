// Versioned schema (store.hpp): both stores record the versions applied in schema_migrations
// (version 1 = docs + events, 2 = the docs_kind index); a database from before versioning (the
// same tables, no schema_migrations) opens with its data and records both; a version-1 database
// gets version 2 on open; a database whose schema is newer than the server is refused at start. Run on SQLite and on PostgreSQL, whatever
// TARIFF_TEST_STORE says.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tempDb, call, sqlQuery } from '../../server/testing/harness.mjs';

const dbs = [];
after(() => { for (const d of dbs) d.remove(); });

for (const kind of ['sqlite', 'postgresql']) {
  test(`${kind}: a new database is version 2; a version-1 or unversioned one migrates with its data; a newer one is refused`, async () => {
    const db = tempDb({ kind });
    dbs.push(db);
    const sql = (q) => {
      const r = sqlQuery(db.path, q);
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.trim();
    };
    const args = ['--now', '2024-03-15T12:00:00Z', '--no-billing'];
    let srv = await startServer({ db: db.path, args });
    try {
      const r = await call(srv.base, 'POST', '/api/v1/customers', { body: { customer: { external_id: 'kept', currency: 'USD' } } });
      assert.equal(r.status, 200, r.text);
    } finally { await srv.stop(); }
    assert.equal(sql('SELECT version FROM schema_migrations ORDER BY version'), '1\n2');
    const kindIndex = kind === 'sqlite' ? "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'docs_kind'"
      : "SELECT count(*) FROM pg_indexes WHERE indexname = 'docs_kind'";
    assert.equal(sql(kindIndex), '1');

    // A version-1 database (no docs_kind): version 2 is applied on open.
    sql('DELETE FROM schema_migrations WHERE version = 2');
    sql('DROP INDEX docs_kind');
    assert.equal(sql(kindIndex), '0');
    srv = await startServer({ db: db.path, args });
    await srv.stop();
    assert.equal(sql('SELECT version FROM schema_migrations ORDER BY version'), '1\n2');
    assert.equal(sql(kindIndex), '1');

    // As a database made before versioning: the same tables, no schema_migrations.
    sql('DROP TABLE schema_migrations');
    srv = await startServer({ db: db.path, args });
    try {
      const r = await call(srv.base, 'GET', '/api/v1/customers/kept');
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.customer.external_id, 'kept');
    } finally { await srv.stop(); }
    assert.equal(sql('SELECT version FROM schema_migrations ORDER BY version'), '1\n2');
    assert.equal(sql("SELECT count(*) FROM docs WHERE kind = 'customer'"), '1', 'nothing lost or doubled');

    // A schema from a later server: refused, the database left as it is.
    sql('INSERT INTO schema_migrations(version) VALUES (3)');
    await assert.rejects(startServer({ db: db.path, args }), /schema is version 3, newer than this server's \(2\)/);
    assert.equal(sql('SELECT count(*) FROM schema_migrations'), '3');
  });
}
