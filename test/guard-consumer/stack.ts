/** Another project's stack wiring its function to the service's table through the exports. */
import { grantQuotaGuard } from '@credential-quota/guard/cdk';
import { App, Fn, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';

const app = new App();
const stack = new Stack(app, 'Consumer');
const fn = new LambdaFunction(stack, 'Guarded', {
  runtime: Runtime.NODEJS_22_X,
  handler: 'index.handler',
  code: Code.fromInline('exports.handler = async () => ({ statusCode: 200 });'),
});
grantQuotaGuard(fn, {
  tableName: Fn.importValue('credential-quota-dev-TableName'),
  tableArn: Fn.importValue('credential-quota-dev-TableArn'),
});
console.log(JSON.stringify(Template.fromStack(stack).toJSON()));
