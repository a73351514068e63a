export { runEnd as run } from './agreements.ts';
