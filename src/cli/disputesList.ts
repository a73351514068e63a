export { runList as run } from './disputes.ts';
