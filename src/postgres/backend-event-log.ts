import type { Logger } from '../core/logger.js';
import type { BackendEvent } from './backend-event.js';

/**
 * Writes a backend's events to the service's log, one `warn` line each with the hosts in the
 * fields and the text: role changes, failovers (a new master after another), fencing, split
 * brains and failed checks. What happens to the cluster is seen in the log, not only by
 * whoever listens to the manager.
 */
export class BackendEventLog {
  /** The last host seen becoming master: a different one next is a failover. */
  #master: string | undefined;

  constructor(private readonly logger: Logger) {}

  readonly log = (event: BackendEvent): void => {
    const logger = this.logger;
    switch (event.type) {
      case 'role-change': {
        const { host, from, to } = event;
        logger.warn({ host, from, to }, `database host ${host} changed role from ${from} to ${to}`);
        if (to !== 'master') return;
        const previous = this.#master;
        this.#master = host;
        if (previous !== undefined && previous !== host) {
          logger.warn(
            { from: previous, to: host },
            `database failover: the master moved from ${previous} to ${host}`,
          );
        }
        return;
      }
      case 'split-brain': {
        const { hosts, master } = event;
        const writes = master === undefined ? 'none takes writes' : `writes go to ${master}`;
        logger.warn(
          { hosts, master: master ?? null },
          `several database hosts report master: ${hosts.join(', ')}; ${writes}`,
        );
        return;
      }
      case 'fencing':
        logger.warn(
          { host: event.host, reason: event.reason },
          `database host ${event.host} fenced: ${event.reason}`,
        );
        return;
      case 'error':
        logger.warn({ host: event.host, code: event.error.code }, event.error.message);
        return;
    }
  };
}
