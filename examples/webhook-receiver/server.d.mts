import type { RequestListener } from 'node:http';

export const TOLERANCE_SECONDS: number;
export function verify(secret: string, rawBody: string | Buffer, header: string | undefined, nowSeconds?: number): { ok: true } | { ok: false; reason: string };
export function createReceiver(secret: string, onEvent?: (event: { id: string; type: string; createdAt: string; accountId: string; data: unknown }) => void): RequestListener;
