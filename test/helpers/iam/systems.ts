/**
 * The systems the IAM contract is checked on, synthesized env-bound (account 123456789012,
 * us-east-1) so that every ARN in their policies resolves to a concrete one.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { CfnTemplate, TemplateModel } from './template-model';
import { ATLAS_PLACEHOLDERS, ReferenceSystemStack } from '../../../integ/reference-system';
import { AtlasAuth, AtlasConnection, SqsWorkerService } from '../../../src';
import { TEST_IMAGE } from '../fixtures';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
const ENV = { account: ACCOUNT, region: REGION };

/** A queue the worker is given (not created), encrypted with a customer managed KMS key. */
export const GIVEN_QUEUE = {
  queueArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:orders-jobs`,
  deadLetterQueueArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:orders-jobs-dlq`,
  keyArn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
};

/** One synthesized system. */
export interface SynthesizedSystem {
  readonly name: string;
  readonly model: TemplateModel;
  /** The KMS key of each queue the system uses, by queue ARN (created queues' keys come from the template). */
  readonly queueKeys: Record<string, string>;
}

function model(stack: Stack): TemplateModel {
  return new TemplateModel(Template.fromStack(stack).toJSON() as CfnTemplate, { ...ENV, stackName: stack.stackName });
}

/** The KMS master keys of the template's own queues (`KmsMasterKeyId`, when it is a key ARN). */
function createdQueueKeys(m: TemplateModel): Record<string, string> {
  const keys: Record<string, string> = {};
  for (const id of m.logicalIds('AWS::SQS::Queue')) {
    const key = m.resource(id).Properties?.KmsMasterKeyId;
    if (key !== undefined) keys[m.getAtt(id, 'Arn')] = String(m.resolve(key));
  }
  return keys;
}

/** integ/reference-system.ts, with Atlas over PrivateLink and IAM auth (`atlas: true`) or without Atlas. */
export function referenceSystem(atlas: boolean): SynthesizedSystem {
  const stack = new ReferenceSystemStack(new App(), 'ReferenceSystem', { env: ENV, atlas: atlas ? ATLAS_PLACEHOLDERS : undefined });
  const m = model(stack);
  return { name: `reference system (${atlas ? 'Atlas, AWS IAM auth' : 'no Atlas'})`, model: m, queueKeys: createdQueueKeys(m) };
}

/**
 * An SqsWorkerService given an imported, KMS-encrypted queue, connecting to Atlas with a
 * connection string in a (standard) Secrets Manager secret, and a producer role granted
 * `grantSendMessages`.
 */
export function givenQueueSystem(): SynthesizedSystem {
  const stack = new Stack(new App(), 'GivenQueueSystem', { env: ENV });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc, enableFargateCapacityProviders: true });
  const queue = sqs.Queue.fromQueueAttributes(stack, 'GivenQueue', { queueArn: GIVEN_QUEUE.queueArn, keyArn: GIVEN_QUEUE.keyArn });
  const deadLetterQueue = sqs.Queue.fromQueueArn(stack, 'GivenDeadLetterQueue', GIVEN_QUEUE.deadLetterQueueArn);
  const worker = new SqsWorkerService(stack, 'Worker', { cluster, image: TEST_IMAGE, queue, deadLetterQueue });
  const secret = new secretsmanager.Secret(stack, 'AtlasConnectionString');
  const atlas = new AtlasConnection(stack, 'Atlas', {
    host: 'cluster0.ab1cd.mongodb.net',
    databaseName: 'orders',
    auth: AtlasAuth.secret(secret, { field: 'uri' }),
    egressPeer: ec2.Peer.anyIpv4(),
  });
  atlas.grantConnect(worker);
  const producer = new iam.Role(stack, 'Producer', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
  worker.grantSendMessages(producer);
  const m = model(stack);
  return { name: 'worker with a given KMS-encrypted queue and an Atlas secret', model: m, queueKeys: { ...createdQueueKeys(m), [GIVEN_QUEUE.queueArn]: GIVEN_QUEUE.keyArn } };
}
