#!/usr/bin/env node
// Fails when an import in src/ points against the layer order, or when files import each
// other in a cycle. Part of `npm run lint`.
//
// A script of our own rather than dependency-cruiser (a large tree of dependencies for one
// rule) or biome's noRestrictedImports (a pattern list per folder, and no cycle detection):
// every import in src/ is a static `from '…'` or `import('…')` with a relative path, so the
// graph is read with one regular expression.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The layers, lowest first. A folder may import its own files and folders of lower layers
 * only; folders of one layer never import each other.
 */
const LAYERS = [
  ['errors'],
  ['internal'],
  ['di'],
  ['core'],
  ['config'],
  ['http', 'postgres'],
  ['postgres/ha', 'mysql', 'data', 'messaging', 'testing'],
  // Stores beside mysql that build on data's models and implement its repository API.
  ['surrealdb', 'dynamodb'],
  // Above data: migrations are generated from the schema registry's definitions.
  ['migrations'],
  // Above messaging: the email transmitter consumes a queue through the broker.
  ['email'],
  ['cli'],
  ['.'],
];

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const rank = new Map(LAYERS.flatMap((folders, i) => folders.map((f) => [f, i])));
// Longest first, so that `postgres/ha/x.ts` belongs to `postgres/ha`, not `postgres`.
const folders = [...rank.keys()].sort((a, b) => b.length - a.length);

function folderOf(file) {
  const path = relative(src, file).replaceAll('\\', '/');
  return (
    folders.find((f) => f !== '.' && path.startsWith(`${f}/`)) ??
    (path.includes('/') ? undefined : '.')
  );
}

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.name.endsWith('.ts')) yield path;
  }
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;

const problems = [];
const edges = new Map();
for (const file of walk(src)) {
  const from = folderOf(file);
  const name = relative(root, file);
  if (from === undefined) {
    problems.push(`${name}: its folder is not in the layer order (.ci/check-layers.mjs)`);
    continue;
  }
  const targets = new Set();
  for (const [, spec] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
    const target = normalize(join(dirname(file), spec.replace(/\.js$/, '.ts')));
    targets.add(target);
    const to = folderOf(target);
    if (to === undefined || to === from) continue;
    if (rank.get(to) >= rank.get(from)) {
      const why = rank.get(to) === rank.get(from) ? 'the same layer' : 'a higher layer';
      problems.push(`${name}: imports ${spec} — ${to}/ is ${why} than ${from}/`);
    }
  }
  edges.set(file, targets);
}

// Cycles between files (Tarjan's strongly connected components).
let index = 0;
const state = new Map();
const stack = [];
function connect(file) {
  const node = { index, low: index, onStack: true };
  index++;
  state.set(file, node);
  stack.push(file);
  for (const next of edges.get(file) ?? []) {
    if (!edges.has(next)) continue;
    const seen = state.get(next);
    if (seen === undefined) {
      connect(next);
      node.low = Math.min(node.low, state.get(next).low);
    } else if (seen.onStack) node.low = Math.min(node.low, seen.index);
  }
  if (node.low !== node.index) return;
  const cycle = [];
  for (let f; f !== file; ) {
    f = stack.pop();
    state.get(f).onStack = false;
    cycle.push(relative(root, f));
  }
  if (cycle.length > 1) problems.push(`import cycle: ${cycle.reverse().join(' -> ')}`);
}
for (const file of edges.keys()) if (!state.has(file)) connect(file);

if (problems.length > 0) {
  console.error(
    `Layer check failed (${problems.length}):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
  );
  console.error(`Order, lowest first: ${LAYERS.map((l) => l.join(' | ')).join(' <- ')}`);
  process.exit(1);
}
console.log(`Layer check: ${edges.size} files, imports follow the layer order, no cycles.`);
