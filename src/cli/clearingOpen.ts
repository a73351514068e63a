export { runOpen as run } from './clearing.ts';
