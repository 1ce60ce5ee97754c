// Which MySQL driver libretto/mysql builds on: mysql2 against the `mariadb` connector, each
// through its own pool with server-side prepared statements, on the MariaDB at :3306 (root, no
// password). A prepared point select and a prepared insert by 16 concurrent callers over a pool
// of 8, rotating rounds (median reported).
//   npx tsx bench/mysql/drivers.ts     BENCH_SECONDS (3 per contender and round), BENCH_ROUNDS (3)
import { randomBytes } from 'node:crypto';
import * as mariadb from 'mariadb';
import mysql from 'mysql2/promise';
import { drive, type RoundContender, resultHeader, resultLine, rounds } from '../rounds.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CALLERS = 16;
const POOL = 8;
const ROWS = 10_000;
const DATABASE = `bench_${randomBytes(4).toString('hex')}`;
const SELECT = 'SELECT id, name, email FROM bench_user WHERE id = ?';
const INSERT = 'INSERT INTO bench_log (user_id, note) VALUES (?, ?)';
const SERVER = { host: '127.0.0.1', port: 3306, user: 'root', password: '' };

let nextId = 1;
const id = () => {
  nextId = (nextId * 7919 + 1) % ROWS;
  return nextId + 1;
};

type Op = 'select' | 'insert';

function mysql2Contender(op: Op): RoundContender {
  return {
    name: `mysql2 execute ${op}`,
    async open() {
      const pool = mysql.createPool({ ...SERVER, database: DATABASE, connectionLimit: POOL });
      const call =
        op === 'select'
          ? () => pool.execute(SELECT, [id()])
          : () => pool.execute(INSERT, [id(), 'bench']);
      return { run: () => drive(call, CALLERS, SECONDS), close: () => pool.end() };
    },
  };
}

function mariadbContender(op: Op): RoundContender {
  return {
    name: `mariadb execute ${op}`,
    async open() {
      const pool = mariadb.createPool({ ...SERVER, database: DATABASE, connectionLimit: POOL });
      const call =
        op === 'select'
          ? () => pool.execute(SELECT, [id()])
          : () => pool.execute(INSERT, [id(), 'bench']);
      return { run: () => drive(call, CALLERS, SECONDS), close: () => pool.end() };
    },
  };
}

const admin = await mysql.createConnection(SERVER);
await admin.query(`CREATE DATABASE ${DATABASE}`);
try {
  await admin.query(`USE ${DATABASE}`);
  await admin.query(
    'CREATE TABLE bench_user (id int PRIMARY KEY, name varchar(100) NOT NULL, email varchar(200) NOT NULL)',
  );
  await admin.query(
    'CREATE TABLE bench_log (id bigint AUTO_INCREMENT PRIMARY KEY, user_id int NOT NULL, note varchar(100))',
  );
  for (let start = 1; start <= ROWS; start += 1000) {
    const rows = Array.from({ length: 1000 }, (_, i) => [
      start + i,
      `user ${start + i}`,
      `u${start + i}@x`,
    ]);
    await admin.query('INSERT INTO bench_user VALUES ?', [rows]);
  }
  for (const op of ['select', 'insert'] as const) {
    const results = await rounds([mysql2Contender(op), mariadbContender(op)], ROUNDS);
    const base = results[0]?.[1].ops ?? 1;
    console.log(`\n${op}: ${CALLERS} callers, pool of ${POOL}, ${ROUNDS} rounds of ${SECONDS} s`);
    console.log(resultHeader('vs mysql2'));
    for (const [name, r] of results)
      console.log(resultLine(name, r, `${((r.ops / base) * 100).toFixed(0)}%`));
  }
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${DATABASE}`);
  await admin.end();
}
