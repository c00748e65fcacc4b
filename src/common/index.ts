export * from './capacity-strategy';
export * from './fargate-service-props';
