export * from './atlas-auth';
export * from './atlas-connection';
export * from './atlas-connection-props';
