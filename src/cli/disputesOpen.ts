export { runOpen as run } from './disputes.ts';
