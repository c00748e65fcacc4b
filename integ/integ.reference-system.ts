/**
 * The reference system, as one stack: CloudFront -> internal ALB -> the Next.js frontend,
 * gRPC service A and SQS worker B on one Fargate cluster, MongoDB Atlas over PrivateLink,
 * one dashboard and one alarm topic. `integ/reference-system.ts` builds it; this file adds
 * the deploy-time assertions.
 *
 * Offline, integ-runner only verifies this file's committed snapshot, synthesized with
 * the placeholder Atlas context. To deploy it (us-east-1 bootstrapped; Docker builds the
 * three images for linux/arm64, so x86 machines need QEMU/binfmt):
 *
 *   ATLAS=off npx projen integ:deploy integ/integ.reference-system.ts --parallel-regions us-east-1
 *
 * (no Atlas project: the apps run in their no-database modes), or with an Atlas project whose
 * PrivateLink endpoint service is in us-east-1 (integ-runner cannot pass CDK context, so these
 * come from the environment):
 *
 *   ATLAS_ENDPOINT_SERVICE_NAME=com.amazonaws.vpce.us-east-1.vpce-svc-... ATLAS_HOST=cluster0-pl-0.xxxxx.mongodb.net \
 *     npx projen integ:deploy integ/integ.reference-system.ts --parallel-regions us-east-1
 *
 * With the placeholders and without ATLAS=off, a pre-deploy hook stops the deploy at once and
 * says so. A deploy rewrites this file's snapshot with your values: restore the committed one.
 *
 * The assertions hold in both modes: the page answers through CloudFront; an order placed over
 * HTTP reaches service A over gRPC and its fulfilment job is consumed by the worker, which
 * was at zero tasks before (the queue poller woke it); the queue drains. With Atlas, service A
 * stores orders only once the interface endpoint is accepted in Atlas: accept it (and register
 * the two task roles as database users) while the assertions wait; they retry for 25 minutes.
 */
import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicies, Stack } from 'aws-cdk-lib';
import { failingHook } from './deploy-hooks';
import { ReferenceSystemStack } from './reference-system';

const app = new App();
const props = ReferenceSystemStack.propsFromContext(app);
const system = new ReferenceSystemStack(app, 'ReferenceSystem', props);
RemovalPolicies.of(system).destroy();

const integ = new IntegTest(app, 'ReferenceSystemTest', {
  testCases: [system],
  // In the system's environment (us-east-1), so the assertions can reference its resources.
  assertionStack: new Stack(app, 'ReferenceSystemAssertions', { env: system.environmentProps }),
  diffAssets: false,
  // integ-runner would otherwise pick from its own list; CloudFront alarms need us-east-1.
  regions: ['us-east-1'],
  hooks: ReferenceSystemStack.usesAtlasPlaceholders(props) ? {
    preDeploy: [failingHook('integ.reference-system.ts cannot deploy an endpoint to the placeholder Atlas service: set ATLAS=off, ' +
      'or ATLAS_ENDPOINT_SERVICE_NAME and ATLAS_HOST (see the comment at the top of the file)')],
  } : undefined,
});

const retry = { totalTimeout: Duration.minutes(25), interval: Duration.seconds(30) };
const { web, worker, cluster } = system;

// 1. The page answers through CloudFront (HEAD: the whole page would not fit the 4 KB reply).
const page = integ.assertions.httpApiCall(`${web.url}/`, { method: 'HEAD' })
  .expect(ExpectedResult.objectLike({ status: 200, headers: { 'content-type': Match.arrayWith([Match.stringLikeRegexp('text/html')]) } }));
page.waitForAssertions(retry);

// 2. The worker sleeps at zero tasks while its queue is empty. (One path: with a path the
//    provider compares only that value, so assertAtPath, not expect.)
const asleep = integ.assertions.awsApiCall('ECS', 'describeServices', {
  cluster: cluster.clusterName,
  services: [worker.service.serviceName],
}).assertAtPath('services.0.desiredCount', ExpectedResult.exact(0));
asleep.waitForAssertions(retry);

// 3. An order placed over HTTP: CloudFront -> frontend -> service A (gRPC) -> SQS.
//    Idempotent by requestId, so the retries of waitForAssertions create one order. HTTPS: CloudFront
//    redirects HTTP, and a redirected POST would arrive as a GET.
const placeOrder = () => integ.assertions.httpApiCall(`${web.url}/api/orders`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ requestId: 'integ-reference-system-1', customer: 'Integ', items: [{ sku: 'REF-1', quantity: 1 }] }),
});
const order = placeOrder().expect(ExpectedResult.objectLike({ body: { orderId: Match.stringLikeRegexp('.+') } }));
order.waitForAssertions(retry);
// The same request again returns the same order; read its id (reading an attribute flattens
// the reply, which `expect` cannot compare, so this call has no expectation of its own).
const orderAgain = placeOrder();
const orderId = orderAgain.getAttString('body.orderId');

// 4. The worker woke from zero and processed that order's job: its "order fulfilled" line names
//    the order (result "fulfilled" with Atlas, "skipped-no-database" without).
const processed = integ.assertions.awsApiCall('CloudWatchLogs', 'filterLogEvents', {
  logGroupName: worker.logGroup.logGroupName,
  filterPattern: `{ $.msg = "order fulfilled" && $.orderId = "${orderId}" }`,
  limit: 1,
}).assertAtPath('events.0.message', ExpectedResult.stringLikeRegexp('order fulfilled'));
processed.waitForAssertions(retry);

// 5. The queue drained.
const drained = integ.assertions.awsApiCall('SQS', 'getQueueAttributes', {
  QueueUrl: worker.queue.queueUrl,
  AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
}).expect(ExpectedResult.objectLike({
  Attributes: { ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' },
}));
drained.waitForAssertions(retry);

page.next(asleep).next(order).next(orderAgain).next(processed).next(drained);
