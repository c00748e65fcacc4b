export * from './edge-frontend';
export * from './edge-frontend-props';
export * from './edge-origin-access';
