// Every export of every subpath of the package carries JSDoc: what an editor shows a user on
// hover. Read with the TypeScript 7 API (`typescript/unstable/sync`), which resolves
// re-exports (`export * from`, `export { x } from`) to the declaration the text sits on.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API, type Project, SymbolFlags } from 'typescript/unstable/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { types?: string }>;
};
// `./dist/postgres/ha/index.d.ts` → `src/postgres/ha/index.ts`
const subpaths = Object.entries(pkg.exports).flatMap(([subpath, target]) =>
  typeof target === 'object' && target.types !== undefined
    ? [
        [
          `libretto${subpath.slice(1)}`,
          target.types.replace(/^\.\/dist\/(.*)\.d\.ts$/, 'src/$1.ts'),
        ],
      ]
    : [],
);

let api: API;
let project: Project;
beforeAll(() => {
  api = new API({ cwd: root });
  const snapshot = api.updateSnapshot({ openProjects: [join(root, 'tsconfig.build.json')] });
  project = snapshot.getProjects()[0] as Project;
});
afterAll(() => api?.close());

describe('JSDoc on the public API', () => {
  it('covers every subpath', () => {
    expect(subpaths.map(([name]) => name)).toEqual([
      'libretto',
      'libretto/http',
      'libretto/testing',
      'libretto/postgres',
      'libretto/postgres/ha',
      'libretto/mysql',
      'libretto/dynamodb',
      'libretto/surrealdb',
      'libretto/data',
      'libretto/migrations',
      'libretto/messaging',
      'libretto/email',
    ]);
  });

  it.each(subpaths)('every export of %s has a doc comment', (_, entry) => {
    const file = project.program.getSourceFile(join(root, entry as string));
    if (file === undefined) throw new Error(`${entry} is not in tsconfig.build.json's program`);
    const module = project.checker.getSymbolAtLocation(file);
    if (module === undefined) throw new Error(`${entry} is not a module`);
    const exports = project.checker.getExportsOfModule(module);
    expect(exports.length).toBeGreaterThan(0);
    const undocumented = exports
      .filter((symbol) => {
        const target =
          symbol.flags & SymbolFlags.Alias ? project.checker.getAliasedSymbol(symbol) : symbol;
        return project.checker.getDocumentationCommentOfSymbol(target).trim() === '';
      })
      .map((symbol) => symbol.name)
      .sort();
    expect(undocumented).toEqual([]);
  });
});
