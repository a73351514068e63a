export { runResolve as run } from './disputes.ts';
