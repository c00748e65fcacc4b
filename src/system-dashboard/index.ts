export * from './system-dashboard';
