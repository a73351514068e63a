// Turns zod issues into `{ path, message }` pairs in plain words, for partners (status_message)
// and for people running `hub ocpi validate`. Works on any zod error, not only on OCPI schemas.
import type { z } from 'zod';

export interface ValidationError {
  /** JSON path like `charging_periods[0].dimensions[1].volume`; `$` is the value itself. */
  path: string;
  message: string;
}

export const REQUIRED_FIELD_MISSING = 'required field missing';
export const MUST_NOT_BE_NULL = 'must not be null';

export function formatZodIssues(error: z.ZodError | { issues: readonly z.core.$ZodIssue[] }): ValidationError[] {
  return error.issues.flatMap((issue) => expandIssue(issue, []));
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_$][\w$]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out === '' ? '$' : out;
}

// A union failure hides the real reasons one level down; report each alternative's issues.
function expandIssue(issue: z.core.$ZodIssue, prefix: readonly PropertyKey[]): ValidationError[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    return issue.errors.flatMap((alternative) => alternative.flatMap((inner) => expandIssue(inner, path)));
  }
  return [{ path: formatPath(path), message: describeIssue(issue) }];
}

function describeIssue(issue: z.core.$ZodIssue): string {
  // With `reportInput` the input tells a missing or null field apart from a wrong one, whatever the check.
  if (issue.code !== 'custom' && 'input' in issue) {
    if (issue.input === undefined) return REQUIRED_FIELD_MISSING;
    if (issue.input === null) return MUST_NOT_BE_NULL;
  }
  switch (issue.code) {
    case 'invalid_type':
      return describeInvalidType(issue);
    case 'too_big':
      return describeBound('at most', issue.origin, issue.maximum, issue.inclusive, 'less than');
    case 'too_small':
      if (issue.origin === 'array' && Number(issue.minimum) === 1) return 'must contain at least 1 item';
      return describeBound('at least', issue.origin, issue.minimum, issue.inclusive, 'greater than');
    case 'invalid_value':
      if (issue.message === REQUIRED_FIELD_MISSING || issue.message === MUST_NOT_BE_NULL) return issue.message;
      return `must be one of ${issue.values.map(String).join(', ')}`;
    case 'invalid_format':
      return issue.format === 'regex' && issue.pattern ? `must match the pattern ${issue.pattern}` : `must be a valid ${issue.format}`;
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')}`;
    case 'invalid_union':
      return 'does not match any of the allowed forms';
    case 'invalid_key':
      return 'has an invalid key';
    case 'invalid_element':
      return 'has an invalid element';
    default:
      // custom: the schema's own message already says the rule in plain words
      return issue.message;
  }
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
};

function describeInvalidType(issue: z.core.$ZodIssueInvalidType): string {
  const received = receivedType(issue);
  if (received === 'undefined') return REQUIRED_FIELD_MISSING;
  if (received === 'null') return MUST_NOT_BE_NULL;
  const expected = TYPE_WORDS[issue.expected] ?? issue.expected;
  if (issue.expected === 'int' && received === 'number') return 'must be an integer';
  return received ? `must be ${expected}, got ${received}` : `must be ${expected}`;
}

// zod keeps the input only when asked to (reportInput); its default message still names what it got.
function receivedType(issue: z.core.$ZodIssueInvalidType): string | undefined {
  if ('input' in issue) return jsonType(issue.input);
  return /received (\w+)$/.exec(issue.message)?.[1];
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function describeBound(
  bound: 'at most' | 'at least',
  origin: string,
  limit: number | bigint,
  inclusive: boolean | undefined,
  exclusiveWord: string,
): string {
  const n = Number(limit);
  switch (origin) {
    case 'string':
      return `must be ${bound} ${n} character${n === 1 ? '' : 's'}`;
    case 'array':
    case 'set':
      return `must contain ${bound} ${n} item${n === 1 ? '' : 's'}`;
    default:
      return inclusive === false ? `must be ${exclusiveWord} ${n}` : `must be ${bound} ${n}`;
  }
}
