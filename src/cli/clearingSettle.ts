export { runSettle as run } from './clearing.ts';
