export { runRefunds as run } from './clearing.ts';
