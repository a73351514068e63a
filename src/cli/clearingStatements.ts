export { runStatements as run } from './clearing.ts';
