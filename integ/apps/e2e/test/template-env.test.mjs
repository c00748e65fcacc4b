// Unit tests of lib/template-env.mjs: the committed ReferenceSystem template, and variants of it
// that break a rule (an unknown token, a queue mismatch, a wrong Service Connect name...).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  buildAppEnvironments,
  findTaskDefinitions,
  formatDecisions,
  localQueueSpecs,
  referencedQueues,
} from '../lib/template-env.mjs';
import { readTemplate } from '../test-support/stack.mjs';

const TEMPLATE = readTemplate();
const JOBS_QUEUE = referencedQueues(TEMPLATE)[0];
const LOCAL = {
  loopback: '127.0.0.1',
  grpcPort: 41001,
  frontendPort: 41002,
  region: 'us-east-1',
  sqsEndpoint: 'http://127.0.0.1:41003',
  processedLogFile: '/tmp/processed.log',
  heartbeatFile: '/tmp/heartbeat',
  queues: { [JOBS_QUEUE]: { url: `http://127.0.0.1:41003/123456789012/${JOBS_QUEUE}`, name: JOBS_QUEUE } },
};

/** A copy of the template with fn applied to the container of one app (folder name). */
function variant(folder, fn) {
  const template = structuredClone(TEMPLATE);
  fn(findTaskDefinitions(template)[folder].container, template);
  return template;
}
const addEnv = (folder, name, value) => variant(folder, (c) => c.Environment.push({ Name: name, Value: value }));
const setEnv = (folder, name, value) => variant(folder, (c) => { c.Environment.find((e) => e.Name === name).Value = value; });
const ecsService = (template, folder) => {
  const task = findTaskDefinitions(template)[folder].logicalId;
  return Object.values(template.Resources).find((r) => r.Type === 'AWS::ECS::Service' && r.Properties.TaskDefinition?.Ref === task);
};

describe('template -> app environments', () => {
  it('finds one task definition per app and the one queue they share', () => {
    const tasks = findTaskDefinitions(TEMPLATE);
    assert.deepEqual(Object.keys(tasks).sort(), ['frontend', 'grpc-service', 'worker']);
    assert.match(tasks.frontend.logicalId, /^Web/);
    assert.match(tasks['grpc-service'].logicalId, /^Orders/);
    assert.match(tasks.worker.logicalId, /^Worker/);
    assert.equal(referencedQueues(TEMPLATE).length, 1);
  });

  it('maps the committed template: every variable passed, mapped or dropped, plus the local-only ones', () => {
    const { env, decisions, jobsQueue } = buildAppEnvironments(TEMPLATE, LOCAL);
    assert.equal(jobsQueue, JOBS_QUEUE);
    const url = LOCAL.queues[JOBS_QUEUE].url;
    assert.equal(env.frontend.JOBS_QUEUE_URL, url);
    assert.equal(env.worker.QUEUE_URL, url);
    assert.equal(env.worker.QUEUE_NAME, JOBS_QUEUE);
    assert.equal(env.frontend.ORDERS_GRPC_ADDRESS, '127.0.0.1:41001');
    assert.equal(env.frontend.PORT, '41002');
    assert.equal(env.frontend.BIND_HOST, '127.0.0.1');
    assert.equal(env.frontend.KEEP_ALIVE_TIMEOUT, '65000', 'literal kept');
    assert.equal(env['grpc-service'].SHUTDOWN_DRAIN_SECONDS, '5', 'literal kept');
    assert.equal(env['grpc-service'].PORT, '41001');
    assert.equal(env['grpc-service'].HOST, '127.0.0.1');
    for (const app of ['grpc-service', 'worker']) {
      assert.equal(env[app].MONGODB_URI, undefined, `${app}: MONGODB_URI dropped`);
      assert.equal(env[app].MONGODB_DATABASE, 'orders');
      assert.match(decisions.find((d) => d.app === app && d.name === 'MONGODB_URI').reason, /no MongoDB locally/);
    }
    assert.equal(env.worker.SQS_ENDPOINT, LOCAL.sqsEndpoint);
    assert.equal(env.worker.WAIT_TIME_SECONDS, '1');
    assert.equal(env.worker.PROCESSED_LOG_FILE, LOCAL.processedLogFile);
    assert.equal(env.frontend.SQS_ENDPOINT, LOCAL.sqsEndpoint);
    assert.equal(env.frontend.AWS_REGION, 'us-east-1');

    // One decision per template variable, each pass / mapped / dropped.
    for (const [folder, { container }] of Object.entries(findTaskDefinitions(TEMPLATE))) {
      for (const { Name } of container.Environment) {
        const d = decisions.filter((x) => x.app === folder && x.name === Name);
        assert.equal(d.length, 1, `${folder} ${Name}`);
        assert.ok(['pass', 'mapped', 'dropped'].includes(d[0].action));
      }
    }
    const table = formatDecisions(decisions);
    assert.match(table, /^app\s+variable\s+action/);
    assert.equal(table.split('\n').length, decisions.length + 1);
  });

  it('fails on a token-valued variable it has no rule for', () => {
    const template = addEnv('worker', 'REGION_HOST', { 'Fn::Join': ['', ['sqs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] });
    assert.throws(() => buildAppEnvironments(template, LOCAL), /worker .*REGION_HOST is a CloudFormation token with no local mapping/);
    // A Ref to something that is not an SQS queue, or a queue attribute with no local value.
    assert.throws(() => buildAppEnvironments(addEnv('frontend', 'CLUSTER', { Ref: findTaskDefinitions(TEMPLATE).worker.logicalId }), LOCAL), /CLUSTER is a CloudFormation token/);
    assert.throws(() => buildAppEnvironments(addEnv('worker', 'QUEUE_ARN', { 'Fn::GetAtt': [JOBS_QUEUE, 'Arn'] }), LOCAL), /QUEUE_ARN is a CloudFormation token/);
  });

  it('passes a new literal variable through and maps a new queue reference', () => {
    const { env, decisions } = buildAppEnvironments(
      variant('worker', (c) => c.Environment.push({ Name: 'MAX_CONCURRENCY', Value: '5' }, { Name: 'JOBS_URL', Value: { 'Fn::GetAtt': [JOBS_QUEUE, 'QueueUrl'] } })),
      LOCAL,
    );
    assert.equal(env.worker.MAX_CONCURRENCY, '5');
    assert.equal(decisions.find((d) => d.name === 'MAX_CONCURRENCY').action, 'pass');
    assert.equal(env.worker.JOBS_URL, LOCAL.queues[JOBS_QUEUE].url);
  });

  it('drops MONGODB_URI also as a secret, and fails on any other secret', () => {
    const asSecret = variant('worker', (c) => {
      c.Environment = c.Environment.filter((e) => e.Name !== 'MONGODB_URI');
      c.Secrets = [{ Name: 'MONGODB_URI', ValueFrom: { Ref: 'SomeSecret' } }];
    });
    assert.equal(buildAppEnvironments(asSecret, LOCAL).env.worker.MONGODB_URI, undefined);
    const other = variant('frontend', (c) => { c.Secrets = [{ Name: 'API_KEY', ValueFrom: { Ref: 'SomeSecret' } }]; });
    assert.throws(() => buildAppEnvironments(other, LOCAL), /secret API_KEY .* has no local mapping/);
  });

  it('fails when the frontend and the worker do not use the same queue', () => {
    const otherQueue = variant('frontend', (c, template) => {
      template.Resources.OtherQueue = { Type: 'AWS::SQS::Queue', Properties: {} };
      c.Environment.find((e) => e.Name === 'JOBS_QUEUE_URL').Value = { Ref: 'OtherQueue' };
    });
    assert.throws(() => buildAppEnvironments(otherQueue, LOCAL), /frontend sends jobs to OtherQueue .* but the worker consumes/);
    assert.throws(() => buildAppEnvironments(setEnv('worker', 'QUEUE_URL', 'https://sqs.eu-west-1.amazonaws.com/1/jobs'), LOCAL), /worker QUEUE_URL is not a Ref to an SQS queue/);
    const noJobs = variant('frontend', (c) => { c.Environment = c.Environment.filter((e) => e.Name !== 'JOBS_QUEUE_URL'); });
    assert.throws(() => buildAppEnvironments(noJobs, LOCAL), /does not set JOBS_QUEUE_URL/);
  });

  it('fails when ORDERS_GRPC_ADDRESS is not where service A is reachable through Service Connect', () => {
    assert.throws(() => buildAppEnvironments(setEnv('frontend', 'ORDERS_GRPC_ADDRESS', 'orders:50052'), LOCAL), /not a Service Connect alias/);
    assert.throws(() => buildAppEnvironments(setEnv('frontend', 'ORDERS_GRPC_ADDRESS', 'grpc.internal:50051'), LOCAL), /not a Service Connect alias/);
    // Service A told to listen elsewhere than its container port.
    assert.throws(() => buildAppEnvironments(addEnv('grpc-service', 'PORT', '8080'), LOCAL), /service A listens on 8080 but its container port "grpc" is 50051/);
    // The frontend's service outside the namespace cannot resolve the name.
    const noClient = variant('frontend', (_c, template) => { delete ecsService(template, 'frontend').Properties.ServiceConnectConfiguration; });
    assert.throws(() => buildAppEnvironments(noClient, LOCAL), /does not join service A's Service Connect namespace/);
  });

  it('fails when the frontend PORT is not its container port', () => {
    assert.throws(() => buildAppEnvironments(setEnv('frontend', 'PORT', '8080'), LOCAL), /frontend PORT is 8080 but its container maps \[3000\]/);
  });

  it('fails when the template starts setting a variable the local run sets', () => {
    assert.throws(() => buildAppEnvironments(addEnv('worker', 'SQS_ENDPOINT', 'https://sqs.example'), LOCAL), /the template now sets SQS_ENDPOINT/);
  });

  it('fails when an app has no task definition, or two', () => {
    const none = structuredClone(TEMPLATE);
    delete none.Resources[findTaskDefinitions(TEMPLATE).worker.logicalId];
    assert.throws(() => findTaskDefinitions(none), /starts with "Worker" \(worker\), found 0/);
    const two = structuredClone(TEMPLATE);
    two.Resources.WebTaskDefinitionCopy = two.Resources[findTaskDefinitions(TEMPLATE).frontend.logicalId];
    assert.throws(() => findTaskDefinitions(two), /starts with "Web" \(frontend\), found 2/);
  });

  it('creates the local queues with the template\'s dead-letter queue and redrive', () => {
    const specs = localQueueSpecs(TEMPLATE);
    const jobs = specs.find((s) => s.id === JOBS_QUEUE);
    assert.ok(jobs.deadLetterQueue, 'the jobs queue has a dead-letter queue');
    assert.ok(jobs.maxReceiveCount > 0);
    assert.ok(specs.findIndex((s) => s.id === jobs.deadLetterQueue) < specs.indexOf(jobs), 'dead-letter queue created first');
  });
});
