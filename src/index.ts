export * from './common';
export * from './sqs-worker-service';
