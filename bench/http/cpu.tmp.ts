import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
const cpu = (pid: number) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' '); return { u: Number(f[11]), s: Number(f[12]) }; };
const N = 200000;
for (const file of (process.argv[2] ?? 'libretto.ts,fastify.ts,libretto.ts,fastify.ts').split(',')) {
  const child = spawn(process.execPath, ['--import', 'tsx', `bench/http/${file}`], { env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'warn', TSX_TSCONFIG_PATH: 'bench/http/tsconfig.dist.json' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = await once(createInterface({ input: child.stdout! }), 'line');
  const url = `http://127.0.0.1:${JSON.parse(line).port}/users/7c1f4a52-3b0e-4d8e-9a55-2f6a1f0b9c21?detailed=true`;
  await autocannon({ url, connections: 64, amount: 50000 });
  const a = cpu(child.pid!);
  await autocannon({ url, connections: 64, amount: N });
  const b = cpu(child.pid!);
  console.log(file.padEnd(14), 'user', ((b.u - a.u) * 10000 / N).toFixed(2), 'µs/req  sys', ((b.s - a.s) * 10000 / N).toFixed(2), 'µs/req');
  child.kill('SIGTERM'); await once(child, 'exit');
}
