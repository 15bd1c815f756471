/**
 * `npm run token -- --project ID [--actions a,b] [--ttl SECONDS] [--sub NAME]`: prints a token
 * signed with AUTH_JWT_SECRET (the development default when unset).
 */
import { parseArgs } from 'node:util';
import { signToken } from '#lib/auth/token-issuer.ts';
import { DEVELOPMENT_JWT_SECRET, readConfig } from '#lib/config.ts';

const { values } = parseArgs({
  options: {
    project: { type: 'string' },
    actions: { type: 'string', default: 'apig:*' },
    ttl: { type: 'string', default: '3600' },
    sub: { type: 'string' },
  },
});

const ttlSeconds = Number(values.ttl);
if (!values.project || !Number.isSafeInteger(ttlSeconds) || ttlSeconds <= 0) {
  console.error('usage: npm run token -- --project ID [--actions a,b] [--ttl SECONDS] [--sub NAME]');
  process.exit(2);
}
const { maxTokenLifetimeSeconds } = readConfig();
if (ttlSeconds > maxTokenLifetimeSeconds) {
  console.error(
    `npm run token: --ttl ${ttlSeconds} is over the ${maxTokenLifetimeSeconds} s the service accepts (AUTH_MAX_TOKEN_LIFETIME_SECONDS)`,
  );
  process.exit(2);
}

console.log(
  await signToken(process.env.AUTH_JWT_SECRET || DEVELOPMENT_JWT_SECRET, {
    projectId: values.project,
    actions: values.actions
      .split(',')
      .map((action) => action.trim())
      .filter(Boolean),
    ttlSeconds,
    subject: values.sub,
  }),
);
