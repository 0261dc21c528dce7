// localStorage that never throws: private mode, a full quota, disabled storage or corrupt JSON
// degrade to "nothing stored" instead of breaking the console (the habit of preact-www's
// lib/localstorage.js). Every key the console uses is listed here so they never collide.
import type { ClientStorage } from '../../client/environment.ts';

export const keys = {
  token: 'parley:console:token',
  draft: (conversationId: string) => `parley:console:draft:${conversationId}`,
  /** The private note being written, kept apart from the reply so switching never mixes them. */
  noteDraft: (conversationId: string) => `parley:console:note-draft:${conversationId}`,
  /** Replies not yet acknowledged, per agent, so a reload while offline does not drop them. */
  outbox: (agentId: string) => `parley:console:outbox:${agentId}`,
  /** Highest seq the agent has seen, per conversation: drives the unread dots. */
  readSeqs: (agentId: string) => `parley:console:read:${agentId}`,
  availability: (agentId: string) => `parley:console:availability:${agentId}`,
  filters: 'parley:console:filters',
};

function store(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

export function readText(key: string): string | null {
  try {
    return store()?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

export function writeText(key: string, value: string): void {
  try {
    store()?.setItem(key, value);
  } catch (err) {
    console.warn('[parley] could not save to localStorage', key, err);
  }
}

export function remove(key: string): void {
  try {
    store()?.removeItem(key);
  } catch {
    // Nothing stored is as good as removed.
  }
}

export function readJson<T>(key: string, isValid: (value: unknown) => value is T): T | null {
  const text = readText(key);
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return isValid(value) ? value : null;
  } catch {
    return null;
  }
}

export function writeJson(key: string, value: unknown): void {
  writeText(key, JSON.stringify(value));
}

/** The same storage for the client core, which checks what it reads itself. */
export const clientStorage: ClientStorage = {
  get: (key) => readJson(key, (value): value is unknown => true),
  set: writeJson,
  remove,
};

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
