import 'server-only';

import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

import { queueConfig, type QueueConfig } from './config';

// Producer of fulfilment jobs for the worker (service B), over SQS.

/** The job message body the worker consumes. */
export interface FulfilOrderJob {
  type: 'fulfil-order';
  orderId: string;
  /** RFC 3339 */
  requestedAt: string;
}

export function fulfilOrderJob(orderId: string, now: Date = new Date()): FulfilOrderJob {
  return { type: 'fulfil-order', orderId, requestedAt: now.toISOString() };
}

const cache = globalThis as unknown as { __jobsSqs?: { key: string; client: SQSClient } };

function sqs(config: QueueConfig): SQSClient {
  const key = `${config.region ?? ''}|${config.endpoint ?? ''}`;
  if (cache.__jobsSqs?.key !== key) {
    cache.__jobsSqs?.client.destroy();
    cache.__jobsSqs = {
      key,
      client: new SQSClient({
        region: config.region,
        endpoint: config.endpoint,
        maxAttempts: 2,
        // Fail within seconds when SQS cannot be reached, so the page can say so.
        requestHandler: { connectionTimeout: 2000, requestTimeout: 5000 },
      }),
    };
  }
  return cache.__jobsSqs.client;
}

/** Sends the fulfil-order job; returns the SQS message id. */
export async function enqueueFulfilment(orderId: string): Promise<string> {
  const config = queueConfig();
  const fifo = config.queueUrl.endsWith('.fifo');
  const result = await sqs(config).send(
    new SendMessageCommand({
      QueueUrl: config.queueUrl,
      MessageBody: JSON.stringify(fulfilOrderJob(orderId)),
      // A FIFO queue needs a group; one group per order keeps orders independent.
      ...(fifo ? { MessageGroupId: orderId, MessageDeduplicationId: orderId } : {}),
    }),
  );
  return result.MessageId ?? '';
}

/** Readiness probe: the queue exists and the task may use it (sqs:GetQueueAttributes). */
export async function checkQueue(): Promise<void> {
  const config = queueConfig();
  await sqs(config).send(new GetQueueAttributesCommand({ QueueUrl: config.queueUrl, AttributeNames: ['QueueArn'] }));
}
