export * from './common';
export * from './sqs-worker-service';
export * from './grpc-fargate-service';
