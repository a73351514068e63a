export { runReconcile as run } from './clearing.ts';
