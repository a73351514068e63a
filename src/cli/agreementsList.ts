export { runList as run } from './agreements.ts';
