import type { RequestListener } from 'node:http';

export const BOT_NAME: string;
export const ANSWERS: { pattern: RegExp; answer: string }[];
export const HANDOFF_REPLY: string;
export function answerFor(text: string): string | null;
export function createFaqBot(options: { apiUrl: string; apiToken: string; secret: string; name?: string; onError?: (error: unknown) => void }): RequestListener;
