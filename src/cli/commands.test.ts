// `hub --help` lists, for each command, the options its file accepts: an operator who reads the
// README's `hub analytics evaluate --prefill N` finds it in the help too.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commands } from './commands.ts';

/** The option names a command file hands to parseOptions (`{ seed: { type: 'string' }, … }`). */
function optionsOf(file: string): string[] {
  const source = readFileSync(new URL(file, import.meta.url), 'utf8');
  const call = /parseOptions\(args, \{([^)]*)\}\)/.exec(source);
  if (!call) throw new Error(`no parseOptions call in ${file}`);
  return [...call[1].matchAll(/'?([\w-]+)'?: \{ type: '(string|boolean)'/g)].map((m) => `--${m[1]}${m[2] === 'string' ? ' N' : ''}`);
}

describe('hub --help', () => {
  it('lists every option of hub analytics evaluate, --prefill and --keep included', () => {
    const evaluate = commands.find((c) => c.path.join(' ') === 'analytics evaluate')!;
    const accepted = optionsOf('./analyticsEvaluate.ts');
    expect(accepted).toEqual(expect.arrayContaining(['--prefill N', '--keep']));
    for (const option of accepted) expect(evaluate.args).toContain(option);
  });
});
