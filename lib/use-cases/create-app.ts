import {
  clientTokenReused,
  clientTokenSpent,
  instanceNotFound,
  outcomeUnknown,
  resourceLimitExceeded,
} from '#domain/errors.ts';
import { newCredential, newId } from '#domain/ids.ts';
import type { App } from '#domain/models.ts';
import { OVERTAKEN } from '#domain/overtaken.ts';
import type { SecretBox } from '#domain/secret-box.ts';
import { hashSecret } from '#domain/secrets.ts';
import type { ClientTokenRecord } from '#store/items/client-token-item.ts';
import type { UseCaseDeps } from './ports.ts';
import { retryOvertaken, unknownIfTimedOut } from './retry-overtaken.ts';

/** What creating an app takes. */
export interface CreateAppInput {
  readonly projectId: string;
  readonly instanceId: string;
  readonly name: string;
  readonly remark: string;
  readonly appKey?: string | undefined;
  readonly appSecret?: string | undefined;
  /** The client's `X-Client-Token`: the same request repeated under it gets the same answer. */
  readonly clientToken?: string | undefined;
}

/** A new app with its secret, which is shown this once and stored only as a hash. */
export interface CreatedApp {
  readonly app: App;
  readonly appSecret: string;
  /** The token the answer is recorded under: the client's, or one made for this request. */
  readonly clientToken: string;
}

/** How long a create's answer can be fetched again under its client token. */
export const CLIENT_TOKEN_SECONDS = 24 * 60 * 60;

interface RecordedAnswer {
  readonly app: Omit<App, 'registerTime' | 'updateTime'> & { registerTime: string; updateTime: string };
  readonly appSecret: string;
}

const recordContext = (projectId: string, token: string) => `client-token:${projectId}:${token}`;

/**
 * The answer recorded under a token, if the record is of this same request (else 422) and its app
 * still holds the token (else 409: deleted or given a new secret since; one read, on repeats only).
 */
const replay = async (
  { store }: UseCaseDeps,
  box: SecretBox,
  record: ClientTokenRecord,
  fingerprint: string,
  instanceId: string,
): Promise<CreatedApp> => {
  if (record.fingerprint !== fingerprint) throw clientTokenReused();
  if (!(await store.appHoldsClientToken(record.projectId, instanceId, record.appId, record.token))) {
    throw clientTokenSpent();
  }
  const answer = JSON.parse(
    box.open(record.sealedAnswer, recordContext(record.projectId, record.token)),
  ) as RecordedAnswer;
  return {
    app: {
      ...answer.app,
      registerTime: new Date(answer.app.registerTime),
      updateTime: new Date(answer.app.updateTime),
    },
    appSecret: answer.appSecret,
    clientToken: record.token,
  };
};

/**
 * Create app. Primary course: generate the id (and key and secret when not given), hash the
 * secret, store the app; the store enforces the instance's existence, the apps-per-instance limit
 * and the uniqueness of name and key in one transaction. Hashing costs ~50 ms of CPU, so one small
 * read first turns away a missing or full instance before any is spent; the transaction still
 * decides, so a race with another create is settled by DynamoDB, not by that read.
 *
 * The answer, secret included, is sealed and written in the same transaction under a client token
 * (the client's `X-Client-Token`, or a random one), so it exists exactly when the app does. A
 * repeat under the token answers from that record, read alongside the instance's counts (before
 * them: the first attempt's app may have filled the instance or taken the name). When the
 * transaction times out past the SDK's retries or the request's deadline it may have landed all
 * the same: the answer is 503 `CQ.5031` with the token, never a lost secret. So is any other
 * failure of DynamoDB on the way (a stalled read before the write): a repeat under the token is
 * right whether or not anything landed, so the client never has to tell the cases apart.
 */
export const createApp = (deps: UseCaseDeps, input: CreateAppInput): Promise<CreatedApp> => {
  const clientToken = input.clientToken ?? newCredential(32);
  return unknownIfTimedOut(outcomeUnknown(clientToken), () => create(deps, input, clientToken));
};

const create = async (deps: UseCaseDeps, input: CreateAppInput, clientToken: string): Promise<CreatedApp> => {
  const { store, clock, limits } = deps;
  const { projectId, instanceId } = input;
  const box = await deps.secretBox();
  const context = recordContext(projectId, clientToken);
  const fingerprint = box.mac(
    JSON.stringify(['createApp', instanceId, input.name, input.remark, input.appKey ?? null, input.appSecret ?? null]),
    context,
  );
  const nowSeconds = Math.floor(clock.now().getTime() / 1000);
  const [earlier, counts] = await Promise.all([
    input.clientToken === undefined ? undefined : store.getClientToken(projectId, clientToken, nowSeconds),
    store.getInstanceCounts(projectId, instanceId),
  ]);
  if (earlier) return replay(deps, box, earlier, fingerprint, instanceId);
  if (!counts) throw instanceNotFound(instanceId);
  if (counts.apps >= limits.appsPerInstance) throw resourceLimitExceeded();
  const now = clock.now();
  const appSecret = input.appSecret ?? newCredential(32);
  const app: App = {
    projectId,
    instanceId,
    appId: newId(),
    name: input.name,
    remark: input.remark,
    status: 1,
    appKey: input.appKey ?? newCredential(32),
    registerTime: now,
    updateTime: now,
  };
  const secretHash = await hashSecret(appSecret);
  const recorded: RecordedAnswer = {
    app: { ...app, registerTime: now.toISOString(), updateTime: now.toISOString() },
    appSecret,
  };
  const record: ClientTokenRecord = {
    projectId,
    token: clientToken,
    appId: app.appId,
    fingerprint,
    sealedAnswer: box.seal(JSON.stringify(recorded), context),
    expiresAt: nowSeconds + CLIENT_TOKEN_SECONDS,
  };
  return retryOvertaken(`create of app ${app.name}`, async () => {
    const result = await store.createApp(app, secretHash, limits.appsPerInstance, { record, nowSeconds });
    if (result === 'created') return { app, appSecret, clientToken };
    if (result === OVERTAKEN) return OVERTAKEN;
    // An earlier attempt of this request landed (the SDK retried a timeout), or a concurrent
    // request under the same token did: its record is the answer.
    const landed = await store.getClientToken(projectId, clientToken, nowSeconds);
    return landed ? replay(deps, box, landed, fingerprint, instanceId) : OVERTAKEN;
  });
};
