import { describe, expect, it } from 'vitest';
import { afterClose, codeOfClose, errorCatalog, isTemporary, type ErrorEntry } from '../../protocol/index.ts';
import { AppError, toAppError } from '../../server/errors.ts';
import { pgErrorKind } from '../../db/errors.ts';

describe('the error catalog', () => {
  it('gives every close code to one error code only', () => {
    const closes = Object.values(errorCatalog as Record<string, ErrorEntry>).flatMap((entry) => (entry.close ? [entry.close] : []));
    expect(new Set(closes).size).toBe(closes.length);
    for (const close of closes) expect((errorCatalog[codeOfClose(close)!] as ErrorEntry).close).toBe(close);
  });

  it('tells clients what to do after a close', () => {
    expect(afterClose(errorCatalog.GOING_AWAY.close)).toBe('reconnect');
    expect(afterClose(errorCatalog.SLOW_CONSUMER.close)).toBe('reconnect');
    expect(afterClose(errorCatalog.UNAVAILABLE.close)).toBe('reconnect');
    expect(afterClose(errorCatalog.TOKEN_EXPIRED.close)).toBe('renew-token');
    expect(afterClose(errorCatalog.AUTH_INVALID.close)).toBe('renew-token');
    expect(afterClose(errorCatalog.ORIGIN_NOT_ALLOWED.close)).toBe('stop');
    expect(afterClose(errorCatalog.PROTOCOL_VIOLATION.close)).toBe('stop');
    // Not ours: the network dropped (1006), an oversize frame (1009).
    expect(afterClose(1006)).toBe('reconnect');
    expect(afterClose(1009)).toBe('reconnect');
  });

  it('marks only what may succeed later as temporary', () => {
    expect(isTemporary('RATE_LIMITED')).toBe(true);
    expect(isTemporary('UNAVAILABLE')).toBe(true);
    expect(isTemporary('MESSAGE_INVALID')).toBe(false);
    expect(isTemporary('NOT_FOUND')).toBe(false);
    expect(isTemporary('INTERNAL')).toBe(false);
    expect(isTemporary('NO_SUCH_CODE')).toBe(false);
    expect(isTemporary('constructor')).toBe(false);
  });

  it('gives AppError its status and default message from the entry', () => {
    const error = new AppError('SITE_NOT_FOUND');
    expect(error.statusCode).toBe(404);
    expect(error.message).toBe(errorCatalog.SITE_NOT_FOUND.message);
  });

  it('classifies PostgreSQL errors in one place, through wrapping causes', () => {
    expect(pgErrorKind({ code: '23505' })).toBe('unique_violation');
    expect(pgErrorKind(new Error('query failed', { cause: { code: '23505' } }))).toBe('unique_violation');
    expect(pgErrorKind({ code: 'ECONNREFUSED' })).toBe('unavailable');
    expect(pgErrorKind(new Error('wrapped', { cause: { code: '57P01' } }))).toBe('unavailable');
    expect(pgErrorKind({ code: '08006' })).toBe('unavailable');
    expect(pgErrorKind({ code: '42P01' })).toBe('other');
    expect(pgErrorKind(new Error('plain'))).toBe('other');
    expect(toAppError({ code: 'CONNECTION_CLOSED' })).toMatchObject({ code: 'UNAVAILABLE', retryAfterMs: 1000 });
    expect(toAppError(new Error('secret detail'))).toMatchObject({ code: 'INTERNAL', message: 'Internal error' });
  });
});
