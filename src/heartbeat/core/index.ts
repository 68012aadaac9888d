export * from './access.js';
export * from './errors.js';
export { HeartbeatMessages } from './messages.js';
export * from './nagios.js';
export * from './options.js';
export * from './protocol.js';
export * from './status.js';
export * from './webhooks.js';
