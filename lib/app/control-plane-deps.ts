import { sealingBox } from '#auth/sealing.ts';
import { createSignatureVerifier, type SignatureVerifier } from '#auth/signature-verifier.ts';
import { createTokenVerifier, type TokenVerifier } from '#auth/token-verifier.ts';
import type { SecretBox } from '#domain/secret-box.ts';
import { type Clock, systemClock } from '#domain/time.ts';
import { ServiceMetrics } from '#observability/metrics.ts';
import { createStore, type Store } from '#store/control-plane/store.ts';
import { createDocumentClient } from '#store/table/client.ts';
import type { ConsumeDeps } from '#use-cases/consume/consume.ts';
import { QuotaStateCache } from '#use-cases/consume/quota-state-cache.ts';
import { SubcounterCache } from '#use-cases/consume/subcounter-cache.ts';
import { type Config, type ResourceLimits, readConfig } from './config.ts';

/** What the use cases work with. */
export interface Deps extends ConsumeDeps {
  readonly store: Store;
  readonly limits: ResourceLimits;
  /** Seals what is stored but must be read back: access keys' secrets, a create's recorded answer. */
  readonly secretBox: () => Promise<SecretBox>;
}

/** What a function's middleware stack needs on top of the use cases' dependencies. */
export interface FunctionDeps extends Deps {
  readonly verifyToken: TokenVerifier;
  readonly verifySignature: SignatureVerifier;
  /** The custom domain's API mapping key, if the API is served under one. */
  readonly basePath?: string | undefined;
  /** Where the functions' metrics go; none outside Lambda, where nothing reads EMF from stdout. */
  readonly metrics?: ServiceMetrics | undefined;
}

/** The parts of the configuration that {@link depsOver} reads. */
export type DepsConfig = Pick<Config, 'auth' | 'maxTokenLifetimeSeconds' | 'accessKeySealing' | 'limits'> &
  Partial<Pick<Config, 'basePath' | 'emitMetrics'>>;

/**
 * The dependencies over a given store: one token verifier, one signature verifier, one app-key
 * cache. The functions build theirs with {@link createDeps}; tests and the bench use this with
 * their own table.
 */
export const depsOver = (store: Store, config: DepsConfig, clock: Clock = systemClock): FunctionDeps => {
  const secretBox = sealingBox(config.accessKeySealing);
  return {
    store,
    clock,
    limits: config.limits,
    subcounters: new SubcounterCache(),
    quotaStates: new QuotaStateCache(),
    secretBox,
    verifyToken: createTokenVerifier(config.auth, { maxLifetimeSeconds: config.maxTokenLifetimeSeconds }),
    verifySignature: createSignatureVerifier({ lookup: store.getAccessKey, secretBox }),
    basePath: config.basePath,
    metrics: config.emitMetrics ? new ServiceMetrics() : undefined,
  };
};

/** Builds the dependencies from configuration: one document client, one verifier of each kind. */
export const createDeps = (config: Config = readConfig(), clock: Clock = systemClock): FunctionDeps =>
  depsOver(
    createStore({
      client: createDocumentClient({ region: config.region, endpoint: config.dynamodbEndpoint }),
      tableName: config.tableName,
    }),
    config,
    clock,
  );
