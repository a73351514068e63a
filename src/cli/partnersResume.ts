import { command } from './partnersSuspend.ts';

/** `hub partners resume CC-PID [--role ROLE]`: lifts an operator's suspension (see partnersSuspend.ts). */
export const run = command('resume');
