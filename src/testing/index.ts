export {
  findPostgresBinaries,
  PG_BIN_ENV,
  type PostgresBinaries,
} from '../postgres/postgres-binaries.js';
export { freePort } from './free-port.js';
export {
  type ClusterNode,
  PostgresCluster,
  type PostgresClusterOptions,
} from './postgres-cluster.js';
export { PostgresNode, type StopMode } from './postgres-node.js';
export { startPostgres, type TestPostgres } from './start-postgres.js';
export { startPostgresCluster } from './start-postgres-cluster.js';
export { type ProxyMode, TcpProxy } from './tcp-proxy.js';
