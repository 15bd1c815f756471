import { sealingBox } from '#auth/sealing.ts';
import { createSignatureVerifier } from '#auth/signature-verifier.ts';
import { createTokenVerifier } from '#auth/token-verifier.ts';
import { type Clock, systemClock } from '#domain/time.ts';
import type { HandlerDeps } from '#http/function-handler.ts';
import { containerMetrics } from '#observability/metrics.ts';
import { createStore, type Store } from '#store/control-plane/store.ts';
import { createDocumentClient } from '#store/table/client.ts';
import { QuotaStateCache } from '#use-cases/consume/quota-state-cache.ts';
import { SubcounterCache } from '#use-cases/consume/subcounter-cache.ts';
import type { UseCaseDeps } from '#use-cases/ports.ts';
import { type Config, readConfig } from './config.ts';

/** The control plane's functions' dependencies: the use cases' and what their middleware stack needs. */
export type ControlPlaneDeps = UseCaseDeps & HandlerDeps;

/** The parts of the configuration that {@link depsOver} reads. */
export type DepsConfig = Pick<Config, 'auth' | 'maxTokenLifetimeSeconds' | 'accessKeySealing' | 'limits'> &
  Partial<Pick<Config, 'basePath' | 'emitMetrics' | 'refusalRecheckMs'>>;

/**
 * The dependencies over a given store: one token verifier, one signature verifier, one app-key
 * cache. The functions build theirs with {@link createControlPlaneDeps}; tests and the bench use this with
 * their own table.
 */
export const depsOver = (store: Store, config: DepsConfig, clock: Clock = systemClock): ControlPlaneDeps => {
  const secretBox = sealingBox(config.accessKeySealing);
  return {
    store,
    clock,
    limits: config.limits,
    subcounters: new SubcounterCache(),
    quotaStates: new QuotaStateCache(),
    refusalRecheckMs: config.refusalRecheckMs,
    secretBox,
    verifyToken: createTokenVerifier(config.auth, { maxLifetimeSeconds: config.maxTokenLifetimeSeconds }),
    verifySignature: createSignatureVerifier({ lookup: store.getAccessKey, secretBox }),
    basePath: config.basePath,
    metrics: config.emitMetrics ? containerMetrics() : undefined,
  };
};

/** Builds the dependencies from configuration: one document client, one verifier of each kind. */
export const createControlPlaneDeps = (config: Config = readConfig(), clock: Clock = systemClock): ControlPlaneDeps =>
  depsOver(
    createStore({
      client: createDocumentClient({ region: config.region, endpoint: config.dynamodbEndpoint }),
      tableName: config.tableName,
    }),
    config,
    clock,
  );
