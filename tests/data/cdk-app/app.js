const cdk = require("aws-cdk-lib");
const lambda = require("aws-cdk-lib/aws-lambda");
const events = require("aws-cdk-lib/aws-events");
const targets = require("aws-cdk-lib/aws-events-targets");
const dynamodb = require("aws-cdk-lib/aws-dynamodb");

const app = new cdk.App({ outdir: "cdk.out" });
const stack = new cdk.Stack(app, "NightlyCount");
const table = new dynamodb.Table(stack, "Counts", {
  partitionKey: { name: "pk", type: dynamodb.AttributeType.STRING },
  billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
});
const fn = new lambda.Function(stack, "Counter", {
  runtime: lambda.Runtime.PYTHON_3_12,
  handler: "app.handler",
  code: lambda.Code.fromAsset("lambda/nightly"),
  environment: { TABLE_NAME: table.tableName },
});
table.grantReadWriteData(fn);
new events.Rule(stack, "Nightly", {
  schedule: events.Schedule.cron({ minute: "0", hour: "3" }),
  targets: [new targets.LambdaFunction(fn, { retryAttempts: 2 })],
});
app.synth();
