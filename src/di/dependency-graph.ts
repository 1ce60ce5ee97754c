import { DependencyGraphError, type GraphProblem } from './di-errors.js';
import type { Finalizer, Provider } from './provider.js';
import { providerHint, providerHintSuffix } from './provider-hint.js';
import type { Requirement } from './requirement.js';
import { type InjectionToken, tokenName } from './token.js';

/**
 * A provider compiled for resolution: dependencies are direct references and the value's
 * place in its scope is a fixed slot, so resolving does no lookups beyond the first.
 */
export interface Plan {
  readonly token: InjectionToken<unknown>;
  readonly name: string;
  readonly request: boolean;
  readonly slot: number;
  readonly deps: Plan[];
  readonly factory: ((...args: unknown[]) => unknown) | undefined;
  readonly construct: boolean;
  readonly supplied: boolean;
  readonly value: unknown;
  readonly dispose: Finalizer<unknown> | undefined;
}

/** The compiled, validated graph a container resolves from. */
export interface DependencyGraph {
  readonly plans: ReadonlyMap<InjectionToken<unknown>, Plan>;
  /** App-scoped plans in registration order (warmup order). */
  readonly appPlans: readonly Plan[];
  readonly appSlots: number;
  readonly requestSlots: number;
}

function describeSource(p: Provider): string {
  return p.source ?? 'application';
}

/**
 * Validates the providers and compiles them. Collects every problem (duplicates, missing
 * providers, cycles, app-scoped values depending on request-scoped ones) and throws them
 * together in one {@link DependencyGraphError}. `requirements` are tokens resolved at run
 * time by code that is not a provider (routes); they are checked like dependencies.
 */
export function compileGraph(
  providers: readonly Provider[],
  requirements: readonly Requirement[] = [],
): DependencyGraph {
  const problems: GraphProblem[] = [];
  const registered = new Map<InjectionToken<unknown>, Provider>();

  for (const p of providers) {
    const previous = registered.get(p.token);
    if (previous !== undefined && !p.override) {
      const name = tokenName(p.token);
      problems.push({
        kind: 'duplicate',
        dependency: name,
        chain: [name],
        message: `duplicate provider for ${name} (from ${describeSource(previous)}, then from ${describeSource(p)}); pass override: true to replace it`,
      });
      continue;
    }
    registered.set(p.token, p);
  }

  const plans = new Map<InjectionToken<unknown>, Plan>();
  const appPlans: Plan[] = [];
  let appSlots = 0;
  let requestSlots = 0;
  for (const p of registered.values()) {
    const request = p.lifetime === 'request';
    const plan: Plan = {
      token: p.token,
      name: tokenName(p.token),
      request,
      slot: request ? requestSlots++ : appSlots++,
      deps: [],
      factory: p.factory as Plan['factory'],
      construct: p.construct,
      supplied: p.supplied,
      value: p.value,
      dispose: p.dispose as Finalizer<unknown> | undefined,
    };
    plans.set(p.token, plan);
    if (!request) appPlans.push(plan);
  }

  checkEdges(registered, plans, requirements, problems);
  if (problems.length > 0) throw new DependencyGraphError(problems);
  return { plans, appPlans, appSlots, requestSlots };
}

/**
 * Depth-first walk from the roots, so each problem is reported with the chain that needs it.
 * Requirements are walked first: they are the outermost users (a route before the
 * repository it injects).
 */
function checkEdges(
  registered: ReadonlyMap<InjectionToken<unknown>, Provider>,
  plans: ReadonlyMap<InjectionToken<unknown>, Plan>,
  requirements: readonly Requirement[],
  problems: GraphProblem[],
): void {
  const dependedOn = new Set<InjectionToken<unknown>>();
  for (const p of registered.values()) for (const d of p.deps) dependedOn.add(d);

  const ON_STACK = 1;
  const DONE = 2;
  const state = new Map<Plan, number>();
  const stack: Plan[] = [];
  const missing = new Set<InjectionToken<unknown>>();
  const cycles = new Set<string>();
  /** The path of the requirement being walked, before the plans on the stack. */
  let head: readonly string[] = [];
  const chainTo = (last: string): string[] => [...head, ...stack.map((p) => p.name), last];
  const reportMissing = (dep: InjectionToken<unknown>): void => {
    if (missing.has(dep)) return;
    missing.add(dep);
    const name = tokenName(dep);
    const chain = chainTo(name);
    const hint = providerHint(dep);
    problems.push({
      kind: 'missing',
      dependency: name,
      chain,
      message: `missing provider for ${name}: ${chain.join(' -> ')}${providerHintSuffix(dep)}`,
      ...(hint === undefined ? {} : { hint }),
    });
  };

  const visit = (plan: Plan): void => {
    state.set(plan, ON_STACK);
    stack.push(plan);
    for (const dep of (registered.get(plan.token) as Provider).deps) {
      const target = plans.get(dep);
      if (target === undefined) {
        reportMissing(dep);
        continue;
      }
      plan.deps.push(target);
      if (!plan.request && target.request) {
        const chain = chainTo(target.name);
        problems.push({
          kind: 'lifetime',
          dependency: plan.name,
          chain,
          message: `app-scoped ${plan.name} depends on request-scoped ${target.name}: ${chain.join(' -> ')}`,
        });
      }
      const s = state.get(target);
      if (s === ON_STACK) {
        const cycle = stack.slice(stack.indexOf(target));
        const key = cycle
          .map((p) => p.slot + (p.request ? 'r' : 'a'))
          .sort()
          .join();
        if (!cycles.has(key)) {
          cycles.add(key);
          const chain = [...cycle.map((p) => p.name), target.name];
          problems.push({
            kind: 'cycle',
            dependency: target.name,
            chain,
            message: `cycle: ${chain.join(' -> ')}`,
          });
        }
      } else if (s === undefined) {
        visit(target);
      }
    }
    stack.pop();
    state.set(plan, DONE);
  };

  for (const r of requirements) {
    head = r.path;
    const target = plans.get(r.token);
    if (target === undefined) reportMissing(r.token);
    else if (!state.has(target)) visit(target);
  }
  head = [];
  for (const plan of plans.values()) if (!dependedOn.has(plan.token)) visit(plan);
  // What is left is only reachable through cycles.
  for (const plan of plans.values()) if (!state.has(plan)) visit(plan);
}
