export * from './grpc-exposure';
export * from './grpc-fargate-service';
export * from './grpc-fargate-service-props';
