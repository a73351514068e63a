export { runCreate as run } from './agreements.ts';
