import { createTokenVerifier, type TokenVerifier } from './auth/token-verifier.ts';
import { type Config, type ResourceLimits, readConfig } from './config.ts';
import { SubcounterCache } from './domain/subcounter-cache.ts';
import { type Clock, systemClock } from './domain/time.ts';
import { createDocumentClient } from './store/client.ts';
import { createStore, type Store } from './store/store.ts';

/** What the use cases work with. */
export interface Deps {
  readonly store: Store;
  readonly clock: Clock;
  readonly limits: ResourceLimits;
  /** Sub-counters per credential, per container: where a warm consume aims its one request. */
  readonly subcounters: SubcounterCache;
}

/** What a function's middleware stack needs on top of the use cases' dependencies. */
export interface FunctionDeps extends Deps {
  readonly verifyToken: TokenVerifier;
}

/** Builds the dependencies from configuration: one document client, one verifier. */
export const createDeps = (config: Config = readConfig(), clock: Clock = systemClock): FunctionDeps => ({
  store: createStore({
    client: createDocumentClient({ region: config.region, endpoint: config.dynamodbEndpoint }),
    tableName: config.tableName,
  }),
  clock,
  limits: config.limits,
  subcounters: new SubcounterCache(),
  verifyToken: createTokenVerifier(config.auth),
});
