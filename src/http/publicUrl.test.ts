import { describe, expect, it } from 'vitest';
import { publicUrl } from './publicUrl.ts';

describe('publicUrl', () => {
  it('keeps the path prefix of HUB_PUBLIC_URL', () => {
    expect(publicUrl({ HUB_PUBLIC_URL: 'https://example.com/hub' }, '/ocpi/2.2.1/sender/cdrs?offset=10').toString()).toBe('https://example.com/hub/ocpi/2.2.1/sender/cdrs?offset=10');
  });

  it('works without a prefix and with a path given without its slash', () => {
    expect(publicUrl({ HUB_PUBLIC_URL: 'http://127.0.0.1:9000' }, '/ocpi/versions').toString()).toBe('http://127.0.0.1:9000/ocpi/versions');
    expect(publicUrl({ HUB_PUBLIC_URL: 'http://127.0.0.1:9000' }, 'ocpi/versions').toString()).toBe('http://127.0.0.1:9000/ocpi/versions');
  });
});
