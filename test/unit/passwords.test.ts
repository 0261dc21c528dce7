import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../server/services/passwords.ts';

describe('passwords', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await hashPassword('s3cret horse');
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await verifyPassword('s3cret horse', hash)).toBe(true);
    expect(await verifyPassword('s3cret horsE', hash)).toBe(false);
  });

  it('salts every hash and refuses a malformed stored value', async () => {
    expect(await hashPassword('same')).not.toBe(await hashPassword('same'));
    expect(await verifyPassword('x', 'md5$abc')).toBe(false);
    expect(await verifyPassword('x', '')).toBe(false);
  });
});
