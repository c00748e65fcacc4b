export * from './common';
export * from './sqs-worker-service';
export * from './grpc-fargate-service';
export * from './edge-frontend';
export * from './atlas-connection';
export * from './system-dashboard';
