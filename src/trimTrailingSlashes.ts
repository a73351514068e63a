/**
 * `s` without the slashes it ends with. A loop, not `s.replace(/\/+$/, '')`: that regex tries every
 * run of slashes against the end, quadratic in their number, and the URLs trimmed here (endpoint
 * URLs, partners' Link headers) come from partners.
 */
export function trimTrailingSlashes(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 47) end--;
  return end === s.length ? s : s.slice(0, end);
}
