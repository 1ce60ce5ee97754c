// Password authentication for one role on a libretto/testing server, trust for everyone else
// (so that unknown roles say so): what the tests of failures that must not show a password use.
import type { TestPostgres } from 'libretto/testing';
import pg from 'pg';

/** Creates `role` with `password` and requires it over TCP; waits until the server does. */
export async function requirePassword(
  server: TestPostgres,
  role: string,
  password: string,
): Promise<void> {
  const admin = new pg.Client({ connectionString: server.dsn });
  await admin.connect();
  try {
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    const file = (await admin.query('SHOW hba_file')).rows[0].hba_file as string;
    const rules = [
      'local all all trust',
      `host all ${role} 127.0.0.1/32 scram-sha-256`,
      'host all all 127.0.0.1/32 trust',
    ];
    const values = rules.map((r) => `('${r}')`).join(', ');
    await admin.query(`COPY (VALUES ${values}) TO '${file}'`);
    await admin.query('SELECT pg_reload_conf()');
  } finally {
    await admin.end();
  }
  // The reload is a signal: wait until a wrong password is refused.
  for (let i = 0; i < 100; i++) {
    const probe = new pg.Client({
      connectionString: `postgresql://${role}:not-${password}@127.0.0.1:${server.port}/postgres`,
    });
    const refused = await probe.connect().then(
      () => probe.end().then(() => false),
      () => true,
    );
    if (refused) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('pg_hba.conf was not reloaded');
}
