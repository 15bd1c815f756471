import { sealingBox } from '#auth/sealing.ts';
import { createSignatureVerifier } from '#auth/signature-verifier.ts';
import { createTokenVerifier } from '#auth/token-verifier.ts';
import { type Clock, systemClock } from '#domain/time.ts';
import type { HandlerDeps } from '#http/function-handler.ts';
import { containerMetrics } from '#observability/metrics.ts';
import { getAccessKey } from '#store/access-keys/access-key-store.ts';
import { createConsumeStore } from '#store/data-plane/consume-store.ts';
import { createDocumentClient } from '#store/table/client.ts';
import type { ConsumeDeps } from '#use-cases/consume/consume.ts';
import { QuotaStateCache } from '#use-cases/consume/quota-state-cache.ts';
import { SubcounterCache } from '#use-cases/consume/subcounter-cache.ts';
import { readSharedConfig, type SharedConfig } from './config.ts';

/** What the data plane's function works with: consume's store and the verifiers, nothing of the control plane. */
export type DataPlaneDeps = ConsumeDeps & HandlerDeps;

/**
 * The quota-consumptions function's dependencies: one document client, the consume store over it
 * (not the whole store: its bundle carries only what consume runs), one verifier of each kind.
 */
export const createDataPlaneDeps = (
  config: SharedConfig = readSharedConfig(),
  clock: Clock = systemClock,
): DataPlaneDeps => {
  const db = {
    client: createDocumentClient({ region: config.region, endpoint: config.dynamodbEndpoint }),
    tableName: config.tableName,
  };
  return {
    store: createConsumeStore(db),
    clock,
    subcounters: new SubcounterCache(),
    quotaStates: new QuotaStateCache(),
    refusalRecheckMs: config.refusalRecheckMs,
    verifyToken: createTokenVerifier(config.auth, { maxLifetimeSeconds: config.maxTokenLifetimeSeconds }),
    verifySignature: createSignatureVerifier({
      lookup: (accessKey) => getAccessKey(db, accessKey),
      secretBox: sealingBox(config.accessKeySealing),
    }),
    basePath: config.basePath,
    metrics: config.emitMetrics ? containerMetrics() : undefined,
  };
};
