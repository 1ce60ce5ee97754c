import { DependencyUnavailableError } from 'libretto';
import { describe, expect, it } from 'vitest';
import {
  importOptionalPeer,
  installCommand,
  peerMissingMessage,
} from '../../src/internal/optional-peer.js';

describe('importOptionalPeer', () => {
  it('a package that is not installed: which feature, which package, the install command', async () => {
    const error = await importOptionalPeer('libretto-no-such-peer', 'The frobnicator').catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    const e = error as DependencyUnavailableError;
    expect(e.code).toBe('PACKAGE_NOT_INSTALLED');
    expect(e.message).toBe(
      'The frobnicator needs libretto-no-such-peer, which is not installed: run `npm install libretto-no-such-peer`',
    );
    expect(e.details).toEqual([
      {
        package: 'libretto-no-such-peer',
        feature: 'The frobnicator',
        install: 'npm install libretto-no-such-peer',
      },
    ]);
  });

  it('the same message when the import is written at the call site, and for a subpath', async () => {
    const viaLoader = await importOptionalPeer(
      'libretto-no-such-peer',
      'HttpService',
      () => import('libretto-no-such-peer' as string),
    ).catch((e: Error) => e.message);
    expect(viaLoader).toBe(peerMissingMessage('libretto-no-such-peer', 'HttpService'));
    const subpath = await importOptionalPeer(
      'libretto-no-such-peer',
      'X',
      () => import('libretto-no-such-peer/sub' as string),
    ).catch((e: Error) => e.message);
    expect(subpath).toBe(peerMissingMessage('libretto-no-such-peer', 'X'));
  });

  it('loads an installed package', async () => {
    const yaml = await importOptionalPeer('yaml', 'YAML', () => import('yaml'));
    expect(yaml.stringify({ a: 1 })).toBe('a: 1\n');
  });

  it('a package that fails for another reason keeps its own error', async () => {
    const boom = new Error('SyntaxError inside the package');
    await expect(importOptionalPeer('yaml', 'YAML', () => Promise.reject(boom))).rejects.toBe(boom);
    // A dependency of the package missing is a broken install, not a missing peer.
    const nested = Object.assign(new Error("Cannot find package 'other-dep' imported from x"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    await expect(importOptionalPeer('yaml', 'YAML', () => Promise.reject(nested))).rejects.toBe(
      nested,
    );
  });

  it('names the install command of the package manager running the process', () => {
    expect(installCommand('pg', { npm_config_user_agent: 'pnpm/9.1.0 npm/? node/v20' })).toBe(
      'pnpm add pg',
    );
    expect(installCommand('pg', { npm_config_user_agent: 'yarn/4.0.0 npm/? node/v20' })).toBe(
      'yarn add pg',
    );
    expect(installCommand('pg', { npm_config_user_agent: 'npm/10.8.0 node/v20' })).toBe(
      'npm install pg',
    );
    expect(installCommand('pg', {})).toBe('npm install pg');
  });
});
