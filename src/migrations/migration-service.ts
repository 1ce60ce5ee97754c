import { Service } from '../core/service.js';
import { InvalidOperationError } from '../errors/application-errors.js';
import { rejectUnknownKeys } from '../errors/invalid-option.js';
import { Database } from '../postgres/database.js';
import { MigrationsConfig } from './migrations-config.js';
import { type MigrationEvent, Migrator } from './migrator.js';

/** What {@link MigrationService} does at start; the constructor's options win over `migrations:`. */
export interface MigrationServiceOptions {
  /** The migrations directory (default: the first of the standard locations that exists). */
  readonly directory?: string;
  /** The table that records applied migrations. Default `libretto_migrations`. */
  readonly table?: string;
  /** Seconds to wait for another runner (another instance starting). Default 60. */
  readonly lockTimeout?: number;
  /**
   * `apply` (default): apply pending migrations before the services after this one start;
   * `check`: refuse to start while a migration is pending, edited or missing (migrations run by
   * `libretto migrate up` in the deployment); `off`: nothing.
   */
  readonly onStart?: 'apply' | 'check' | 'off';
  /** Where a relative directory is found. Default `process.cwd()`. */
  readonly cwd?: string;
}

const KEYS = new Set(['directory', 'table', 'lockTimeout', 'onStart', 'cwd']);

/**
 * Applies pending migrations when the application starts, under the migration lock, so
 * several instances starting together apply each migration once; place it after
 * `PostgresService` and before the services that need the schema. Until it is done, `/ready`
 * says not ready. Opt-in: an application without it never migrates by itself.
 *
 * @example
 * new Application(config, new PostgresService(), new MigrationService(), new HttpService(…));
 */
export class MigrationService extends Service {
  readonly #options: MigrationServiceOptions;
  #done = false;

  constructor(options: MigrationServiceOptions = {}) {
    super('MigrationService');
    rejectUnknownKeys('MigrationService', options, KEYS);
    this.#options = options;
  }

  override async start(): Promise<void> {
    const section = (await this.getOptionalDependency(MigrationsConfig)) ?? {};
    const o = this.#options;
    const onStart = o.onStart ?? section.on_start ?? 'apply';
    if (onStart === 'off') {
      this.#done = true;
      return;
    }
    const directory = o.directory ?? section.directory;
    const table = o.table ?? section.table;
    const migrator = new Migrator({
      database: await this.getDependency(Database),
      ...(directory === undefined ? {} : { directory }),
      ...(table === undefined ? {} : { table }),
      ...(o.cwd === undefined ? {} : { cwd: o.cwd }),
      lockTimeoutMs: (o.lockTimeout ?? section.lock_timeout ?? 60) * 1000,
      onEvent: (event) => this.#log(event),
    });
    if (onStart === 'check') {
      const open = (await migrator.status()).filter((s) => s.state !== 'applied');
      if (open.length > 0) {
        const list = open.map((s) => `${s.id}_${s.name} ${s.state}`).join(', ');
        throw new InvalidOperationError(
          `Migrations not applied: ${list}; run \`libretto migrate up\` (or set migrations.on_start: apply)`,
          { code: 'MIGRATIONS_PENDING', details: open.map((s) => ({ id: s.id, state: s.state })) },
        );
      }
    } else {
      const applied = await migrator.up();
      const version = applied.at(-1)?.id ?? (await migrator.version()) ?? null;
      this.logger.info({ applied: applied.length, version }, 'migrations up to date');
    }
    this.#done = true;
  }

  override checkHealth(): void {
    if (!this.#done) throw new Error('migrations not applied yet');
  }

  #log(event: MigrationEvent): void {
    if (event.type === 'waiting-for-lock') {
      this.logger.info({ holder: event.holder ?? null }, 'waiting for another migration runner');
    } else {
      const { id, name, durationMs } = event;
      this.logger.info({ id, name, ms: Math.round(durationMs) }, `migration ${event.type}`);
    }
  }
}
