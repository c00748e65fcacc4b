export * from './sqs-worker-service';
export * from './sqs-worker-service-props';
