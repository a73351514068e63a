export { runNet as run } from './clearing.ts';
