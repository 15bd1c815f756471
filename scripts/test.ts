/**
 * `npm test`: the typecheck, Redocly's lint of the OpenAPI document, and the four test tiers
 * (unit, integration, e2e, infra), each run whatever the others did, so one red tier never hides
 * whether the rest pass. Prints one line per step with its time and exits non-zero when any step
 * failed.
 */
import { spawnSync } from 'node:child_process';

const STEPS = ['typecheck', 'lint:openapi', 'test:unit', 'test:integration', 'test:e2e', 'test:infra'] as const;

const results = STEPS.map((step) => {
  const started = Date.now();
  const run = spawnSync('npm', ['run', '-s', step], { stdio: 'inherit' });
  return { step, ok: run.status === 0, seconds: Math.round((Date.now() - started) / 1000) };
});

console.log('');
for (const { step, ok, seconds } of results) console.log(`${ok ? 'pass' : 'FAIL'}  ${step} (${seconds} s)`);
const failed = results.filter((result) => !result.ok).length;
console.log(`steps: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
