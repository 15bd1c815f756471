/** `node main.ts exact|leased CALLS`: calls the guarded handler CALLS times, prints what it answered. */
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { handler, leasedHandler } from './handler.ts';

const [which, calls] = process.argv.slice(2);
const guarded = which === 'leased' ? leasedHandler : handler;
const event = { headers: { 'x-app-key': process.env.APP_KEY } } as unknown as APIGatewayProxyEventV2;
const context = { getRemainingTimeInMillis: () => 3000 } as unknown as Context;
const answers: { status: number | undefined; body: string | undefined; rateLimit: unknown }[] = [];
for (let call = 0; call < Number(calls); call += 1) {
  const response = await guarded(event, context);
  answers.push({ status: response.statusCode, body: response.body, rateLimit: response.headers?.RateLimit });
}
console.log(JSON.stringify(answers));
