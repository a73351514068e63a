export { runClose as run } from './clearing.ts';
