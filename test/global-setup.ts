// Builds once per `npm test` the template database every test file clones: lethe schema
// migrated, reference lender tables created and empty.
import pg from 'pg';
import { ADMIN_URL, TEMPLATE_DB, dbUrl } from './db-names.ts';
import { migrateServer } from '../src/db/migrate.ts';
import { openPostgres } from '../src/db/connect.ts';
import { createLenderSchema } from '../src/lender/schema.ts';

export default async function setup(): Promise<() => Promise<void>> {
  process.env.LETHE_TEST_TEMPLATE = TEMPLATE_DB;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${TEMPLATE_DB}`);
  } finally {
    await admin.end();
  }
  await migrateServer(dbUrl(TEMPLATE_DB));
  const database = openPostgres(dbUrl(TEMPLATE_DB), { maxConnections: 1 });
  try {
    await createLenderSchema(database.db);
  } finally {
    await database.close();
  }
  return async () => {
    const c = new pg.Client({ connectionString: ADMIN_URL });
    await c.connect();
    try {
      await c.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`);
    } finally {
      await c.end();
    }
  };
}
