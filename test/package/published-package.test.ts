// The package a user installs from npm: what the tarball holds, that its README and docs
// link only to what it holds, and that every TypeScript block of the README and docs
// compiles in a user's project against the installed package (`import … from 'libretto'`).

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CodeBlock, codeBlocks, headingAnchors, markdownLinks } from './markdown-code.js';
import { type PackedPackage, packPackage, root } from './packed-package.js';

const pages = ['README.md', ...readdirSync(join(root, 'docs')).map((f) => `docs/${f}`)].filter(
  (p) => p.endsWith('.md'),
);
const read = (path: string) => readFileSync(join(root, path), 'utf8');

let packed: PackedPackage;
beforeAll(() => {
  packed = packPackage();
}, 120_000);
afterAll(() => packed?.remove());

describe('the npm tarball', () => {
  it('holds the license, the README, the docs and the build of every export', () => {
    const pkg = JSON.parse(read('package.json')) as {
      exports: Record<string, string | Record<string, string>>;
      bin: Record<string, string>;
    };
    const required = ['LICENSE', 'README.md', 'package.json', ...pages];
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      if (subpath === './package.json') continue;
      required.push(...Object.values(target));
    }
    required.push(...Object.values(pkg.bin));
    const missing = required
      .map((p) => posix.normalize(p))
      .filter((p) => !packed.files.includes(p));
    expect(missing).toEqual([]);
  });

  it('holds nothing but the build, its sources and the docs', () => {
    // src/ ships so that the source and declaration maps of dist/ point at real files.
    const unexpected = packed.files.filter(
      (p) => !/^(dist|src|docs)\//.test(p) && !['LICENSE', 'README.md', 'package.json'].includes(p),
    );
    expect(unexpected).toEqual([]);
    expect(packed.files.filter((p) => /\.test\.|\.tmp\.|(^|\/)fixtures\//.test(p))).toEqual([]);
    expect(packed.files.filter((p) => p.startsWith('dist/')).length).toBeGreaterThan(0);
  });

  it('has source maps whose sources are in it', () => {
    const maps = packed.files.filter((p) => p.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    const dangling: string[] = [];
    for (const map of maps) {
      const { sources, sourceRoot = '' } = JSON.parse(
        readFileSync(join(packed.installed, map), 'utf8'),
      ) as { sources: string[]; sourceRoot?: string };
      for (const source of sources) {
        const path = posix.normalize(posix.join(posix.dirname(map), sourceRoot, source));
        if (!packed.files.includes(path)) dangling.push(`${map} → ${source}`);
      }
    }
    expect(dangling).toEqual([]);
  });

  it('carries the standard Apache-2.0 text with the copyright line filled in', () => {
    const license = readFileSync(join(packed.installed, 'LICENSE'), 'utf8');
    expect(license).toContain('\n   Copyright 2026 The Libretto authors\n');
    // With the appendix's placeholder put back, it is apache.org's LICENSE-2.0.txt byte for byte.
    const standard = license.replace(
      'Copyright 2026 The Libretto authors',
      'Copyright [yyyy] [name of copyright owner]',
    );
    expect(createHash('sha256').update(standard).digest('hex')).toBe(
      'cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30',
    );
    expect(JSON.parse(read('package.json')).license).toBe('Apache-2.0');
  });
});

describe('links in the README and docs', () => {
  it('point at files and headings the installed package has', () => {
    const broken: string[] = [];
    for (const page of pages) {
      const text = readFileSync(join(packed.installed, page), 'utf8');
      for (const link of markdownLinks(page, text)) {
        if (/^[a-z]+:/i.test(link.target)) continue; // http(s): the web, not the package
        const [path = '', anchor] = link.target.split('#');
        const target = path === '' ? page : posix.normalize(posix.join(posix.dirname(page), path));
        const where = `${page}:${link.line} (${link.target})`;
        if (!packed.files.includes(target))
          broken.push(`${where}: ${target} is not in the package`);
        else if (
          anchor !== undefined &&
          !headingAnchors(readFileSync(join(packed.installed, target), 'utf8')).has(anchor)
        ) {
          broken.push(`${where}: ${target} has no heading #${anchor}`);
        }
      }
    }
    expect(broken).toEqual([]);
  });
});

describe('TypeScript blocks in the README and docs', () => {
  const blocks = pages.flatMap((page) =>
    codeBlocks(page, read(page)).filter((b) => b.lang === 'ts' || b.lang === 'typescript'),
  );
  const name = (b: CodeBlock) => `${b.page}:${b.line}`;
  const checked = blocks.filter((b) => !b.directives.some((d) => d.kind === 'skip'));
  let errors: Map<string, string[]>;

  beforeAll(() => {
    errors = typecheck(packed.project, blocks);
  }, 60_000);

  it('are skipped only with a reason, and rarely', () => {
    const skips = blocks.flatMap((b) =>
      b.directives.flatMap((d) => (d.kind === 'skip' ? [`${name(b)}: ${d.reason}`] : [])),
    );
    expect(skips.filter((s) => s.endsWith(': '))).toEqual([]);
    expect(skips.length).toBeLessThanOrEqual(blocks.length / 10);
  });

  it.each(checked.map((b) => [name(b), b] as const))('%s compiles', (_, block) => {
    expect(errors.get(name(block)) ?? []).toEqual([]);
  });
});

describe('README blocks run as a user runs them', () => {
  // The block under a heading, written into the project as it stands: a block that runs
  // needs no prelude.
  const blockFile = (heading: string) => {
    const text = read('README.md');
    const at = text.indexOf(`\n${heading}\n`);
    if (at < 0) throw new Error(`README.md has no heading "${heading}"`);
    const line = text.slice(0, at).split('\n').length + 1;
    const block = codeBlocks('README.md', text).find((b) => b.line > line) as CodeBlock;
    expect(block.directives).toEqual([]);
    const file = join(packed.project, `readme-${block.line}.ts`);
    writeFileSync(file, block.code);
    return file;
  };

  it('"An application of services" runs its periodic service until SIGTERM, then exits 0', async () => {
    const app = runInProject(packed.project, blockFile('### An application of services'));
    await app.waitFor(/"service":"Greeter".*"msg":"hello"/);
    const { code, output } = await app.stop();
    expect(code, output).toBe(0);
  });

  it('"An HTTP API" creates and reads users over HTTP on the embedded database', async () => {
    const app = runInProject(packed.project, blockFile('### An HTTP API'));
    try {
      const url = (await app.waitFor(/"url":"([^"]+)","msg":"listening"/))[1] as string;
      const post = (body: unknown) =>
        fetch(`${url}/users`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const created = await post({ name: 'Ada' });
      expect(created.status).toBe(201);
      const { data } = (await created.json()) as { data: { entityId: string; name: string } };
      expect(data.name).toBe('Ada');

      const read = await fetch(`${url}/users/${data.entityId}`);
      expect(read.status).toBe(200);
      expect(await read.json()).toMatchObject({ success: true, data: { name: 'Ada' } });
      const missing = await fetch(`${url}/users/${crypto.randomUUID()}`);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toMatchObject({
        success: false,
        error: { code: 'RESOURCE_NOT_FOUND' },
      });
      const invalid = await post({ name: '' });
      expect(invalid.status).toBe(422);
    } finally {
      const { code, output } = await app.stop();
      expect(code, output).toBe(0);
    }
  });
});

interface RunningBlock {
  /** Resolves with the match once a line of the output matches. */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
  /** SIGTERM, then the exit code and everything the process printed (shown on a failure). */
  stop(): Promise<{ code: number | null; output: string }>;
}

/** Runs a block with tsx in the project, as `node --import tsx app.ts` would. */
function runInProject(project: string, file: string): RunningBlock {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', file], {
    cwd: project,
    env: { ...process.env, LIBRETTO_API__PORT: '0', LIBRETTO_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const waiter of waiters) waiter();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  void exited.then(() => {
    for (const waiter of waiters) waiter();
  });
  return {
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(output);
          if (match) {
            waiters.delete(check);
            resolve(match);
          } else if (child.exitCode !== null) {
            waiters.delete(check);
            reject(new Error(`${file} exited ${child.exitCode} before ${pattern}:\n${output}`));
          }
        };
        waiters.add(check);
        check();
      }),
    stop: () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited.then((code) => ({ code, output }));
    },
  };
}

interface Origin {
  readonly block: string;
  readonly line: number;
}

/**
 * Writes each block as a module of the project (its prelude, and before it the block it
 * continues), runs tsc once, and returns each block's errors as `page:line: TS…: message`.
 */
function typecheck(project: string, blocks: readonly CodeBlock[]): Map<string, string[]> {
  const dir = join(project, 'blocks');
  mkdirSync(dir, { recursive: true });
  // Per file written, the page line each of its lines came from.
  const origins = new Map<string, (Origin | undefined)[]>();
  const sources = new Map<CodeBlock, string>();
  let previous: CodeBlock | undefined;
  for (const block of blocks) {
    const id = `${block.page}:${block.line}`;
    const continues = block.directives.some((d) => d.kind === 'continues');
    if (continues && previous?.page !== block.page) {
      throw new Error(`${id}: "ts: continues" but no TypeScript block above it on the page`);
    }
    const before = continues ? (sources.get(previous as CodeBlock) as string) : undefined;
    const prelude = block.directives.flatMap((d) =>
      d.kind === 'prelude' ? d.code.split('\n') : [],
    );
    const own = block.code.split('\n');
    const code = [...(before === undefined ? [] : [before]), ...prelude, ...own].join('\n');
    const origin: (Origin | undefined)[] = [
      // Lines of the block continued are reported by that block, not again by this one.
      ...(before === undefined ? [] : before.split('\n').map(() => undefined)),
      ...prelude.map(() => ({ block: id, line: 0 })),
      ...own.map((_, i) => ({ block: id, line: block.line + i })),
    ];
    sources.set(block, code);
    previous = block;
    if (block.directives.some((d) => d.kind === 'skip')) continue;
    const file = `${block.page.replace(/\.md$/, '').replaceAll('/', '-')}-${block.line}.ts`;
    // `export {}` makes every block a module of its own, as a file in a user's project is.
    writeFileSync(join(dir, file), `${code}\nexport {};\n`);
    origins.set(`blocks/${file}`, origin);
  }
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'es2022',
        lib: ['es2022', 'esnext.disposable'],
        module: 'nodenext',
        moduleResolution: 'nodenext',
        types: ['node'],
        strict: true,
        exactOptionalPropertyTypes: true,
        skipLibCheck: true,
        noEmit: true,
      },
      include: ['blocks'],
    }),
  );
  const tsc = spawnSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', project, '--pretty', 'false'],
    { cwd: project, encoding: 'utf8' },
  );
  const errors = new Map<string, string[]>();
  const unplaced: string[] = [];
  for (const entry of tsc.stdout.split(/\n(?=\S)/)) {
    const match = /^(blocks\/[^(]+)\((\d+),\d+\): error (TS\d+): ([\s\S]*)$/.exec(entry.trim());
    if (!match) {
      if (entry.trim() !== '') unplaced.push(entry.trim());
      continue;
    }
    const [, file = '', line = '0', code = '', message = ''] = match;
    const origin = origins.get(file)?.[Number(line) - 1];
    if (origin === undefined) continue; // in a block this one continues: reported there
    const at =
      origin.line === 0
        ? `${origin.block} (prelude)`
        : `${origin.block.split(':')[0]}:${origin.line}`;
    errors.set(origin.block, [...(errors.get(origin.block) ?? []), `${at}: ${code}: ${message}`]);
  }
  if (unplaced.length > 0 || (tsc.status !== 0 && errors.size === 0)) {
    throw new Error(
      `tsc in ${project} failed outside the blocks:\n${unplaced.join('\n')}${tsc.stderr}`,
    );
  }
  return errors;
}
