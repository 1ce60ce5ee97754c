import { type PostgresCluster, startPostgresCluster } from 'libretto/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const query = async (dsn: string, text: string, values: unknown[] = []) => {
  const client = new pg.Client({ connectionString: dsn });
  await client.connect();
  try {
    return (await client.query(text, values)).rows;
  } finally {
    await client.end();
  }
};

describe('startPostgresCluster', () => {
  let cluster: PostgresCluster;

  beforeAll(async () => {
    const t0 = performance.now();
    cluster = await startPostgresCluster({ replicas: 2, synchronous: true });
    console.log(`startPostgresCluster (3 nodes): ${(performance.now() - t0).toFixed(0)} ms`);
  });
  afterAll(() => cluster?.close());

  it('has a primary and two streaming, read-only replicas behind proxies', async () => {
    const [primary, r1, r2] = cluster.nodes;
    expect(cluster.primary).toBe(primary);
    expect(await query(primary!.dsn(), 'SELECT pg_is_in_recovery() AS r')).toEqual([{ r: false }]);
    for (const replica of [r1!, r2!]) {
      expect(await query(replica.dsn(), 'SELECT pg_is_in_recovery() AS r')).toEqual([{ r: true }]);
      await expect(query(replica.dsn(), 'CREATE TABLE nope (x int)')).rejects.toThrow(/read-only/);
    }
    const streaming = await query(
      primary!.dsn(),
      "SELECT application_name AS name, sync_state FROM pg_stat_replication WHERE state = 'streaming' ORDER BY 1",
    );
    expect(streaming.map((r) => r.name)).toEqual(['replica1', 'replica2']);
    expect(streaming.every((r) => r.sync_state === 'quorum')).toBe(true);
    expect(cluster.dsn()).toBe(
      `postgresql://postgres@${cluster.nodes.map((n) => n.address).join(',')}/postgres`,
    );
  });

  it('replicates writes, and waitForReplication waits for them', async () => {
    await query(cluster.primary.dsn(), 'CREATE TABLE items (id int primary key)');
    await query(cluster.primary.dsn(), 'INSERT INTO items SELECT generate_series(1, 1000)');
    await cluster.waitForReplication();
    for (const replica of cluster.replicas) {
      expect(await query(replica.dsn(), 'SELECT count(*)::int AS n FROM items')).toEqual([
        { n: 1000 },
      ]);
    }
  });

  it('a stopped replica catches up when started again', async () => {
    const replica = cluster.replicas[1]!;
    await cluster.stop(replica, 'fast');
    await query(cluster.primary.dsn(), 'INSERT INTO items VALUES (1001)');
    await cluster.start(replica);
    await cluster.waitForReplication();
    expect(await query(replica.dsn(), 'SELECT max(id) AS m FROM items')).toEqual([{ m: 1001 }]);
  });

  it('fails over: kill the primary, promote a replica, the other follows it', async () => {
    const [oldPrimary, r1, r2] = cluster.nodes;
    await cluster.kill(oldPrimary!);
    await cluster.promote(r1!);
    expect(cluster.primary).toBe(r1);
    expect(await query(r1!.dsn(), 'SELECT pg_is_in_recovery() AS r')).toEqual([{ r: false }]);
    expect(await query(r1!.dsn(), 'SHOW synchronous_standby_names')).toEqual([
      { synchronous_standby_names: 'ANY 1 (replica1, replica2)' },
    ]);
    await query(r1!.dsn(), 'INSERT INTO items VALUES (2000)'); // acknowledged by replica2
    await cluster.waitForReplication();
    expect(await query(r2!.dsn(), 'SELECT max(id) AS m FROM items')).toEqual([{ m: 2000 }]);
  });
});
