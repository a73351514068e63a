export { runStatus as run } from './clearing.ts';
