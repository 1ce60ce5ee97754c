export { Container } from './container.js';
export {
  DependencyCreationError,
  DependencyGraphError,
  DisposalError,
  type GraphProblem,
  ScopeError,
  UnknownDependencyError,
} from './di-errors.js';
export {
  type ClassOptions,
  type FactoryOptions,
  type Finalizer,
  type Lifetime,
  type Provider,
  provide,
  provideClass,
  type Supply,
  supplied,
  supply,
  type ValueOptions,
} from './provider.js';
export { providerHint, setProviderHint } from './provider-hint.js';
export type { Requirement } from './requirement.js';
export { Scope } from './scope.js';
export {
  type Class,
  type InjectionToken,
  type Resolved,
  type ResolvedAll,
  Token,
  token,
} from './token.js';
