/** The CDK app (`cdk.json`): one stage's stateful and stateless stacks, chosen with `-c stage=NAME`. */
import { App } from 'aws-cdk-lib';
import { buildApp, readAppContext } from '#infra/app.ts';

const app = new App();
const { stage, options } = readAppContext(app);
buildApp(app, stage, options);
