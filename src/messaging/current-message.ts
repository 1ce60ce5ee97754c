import { token } from '../di/token.js';
import type { ReceivedMessage } from './broker.js';

/**
 * The message a `MessageConsumer` is handling, supplied to the request scope it opens per
 * message: request-scoped providers depend on it (a tenant from its headers, a logger with
 * its id) as HTTP ones depend on `HttpRequest`.
 *
 * @example
 * provide(Tenant, { deps: [CurrentMessage], use: (m) => m.headers.tenant ?? 'default', lifetime: 'request' });
 */
export const CurrentMessage = token<ReceivedMessage>('CurrentMessage');
