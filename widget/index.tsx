// The embed: <script src="https://HOST/widget.js" data-site="SITE_KEY" async></script>
// A signed-in user: data-user-id, data-user-hash (signed by the site's backend, examples/identity.ts),
// data-user-name and data-user-email on the same tag, or Parley('identify', { userId, userHash, … }).
// A polite guest on someone else's page: one global, one host element, nothing thrown, at most one
// console warning, and no socket until there is a reason for one.
import { render } from 'preact';
import { Chat } from './chat.ts';
import { App } from './components/App.tsx';
import type { VisitorIdentity } from './session.ts';
import { openStorage } from './storage.ts';
import { styles } from './styles.ts';
import { warnOnce } from './warn.ts';

type Command = 'open' | 'close' | 'identify';

interface ParleyApi {
  (command: Command, argument?: unknown): void;
  open(): void;
  close(): void;
  identify(identity: VisitorIdentity): void;
}

declare global {
  interface Window {
    __parley?: boolean;
    /** Before load, possibly the snippet's queue stub; after load, the API. */
    Parley?: unknown;
  }
}

/**
 * Inline !important outranks the host page's stylesheets, even their !important rules. The z-index
 * sits above nearly anything a page builds, leaving the very top to the page's own modals.
 */
const HOST_STYLE = 'all: initial !important; position: fixed !important; z-index: 2147483000 !important;' +
  ' bottom: 0 !important; right: 0 !important; width: 0 !important; height: 0 !important;';

try {
  if (!window.__parley) {
    window.__parley = true;
    // document.currentScript is only set while this file first runs.
    boot(document.currentScript ?? document.querySelector('script[data-site][src*="widget.js"]'));
  }
} catch (error) {
  warnOnce(`failed to start: ${String(error)}`);
}

function boot(script: Element | null): void {
  const siteKey = script?.getAttribute('data-site');
  const src = script instanceof HTMLScriptElement ? script.src : '';
  if (!siteKey || !src) return warnOnce('add data-site="SITE_KEY" to the widget script tag');

  let unmount: (() => void) | null = null;
  let refused = false;
  const chat = new Chat({
    base: new URL(src).origin,
    siteKey,
    storage: openStorage(`parley:${siteKey}:`),
    onMount: () => whenBodyReady(() => {
      if (!refused) unmount = mount(chat);
    }),
    onUnmount: () => {
      refused = true;
      unmount?.();
      unmount = null;
    },
  });
  const data = (name: string) => script?.getAttribute(`data-user-${name}`);
  if (data('id')) identifyFrom(chat, { userId: data('id'), userHash: data('hash'), name: data('name'), email: data('email') });
  // Before start: an identify call queued by the snippet rides on the first session.
  installApi(chat);
  chat.start().catch((error: unknown) => warnOnce(`failed to start: ${String(error)}`));
}

/** Returns the way back out: nothing of the widget is left in the page afterwards. */
function mount(chat: Chat): () => void {
  const host = document.createElement('div');
  host.id = 'parley-widget';
  host.style.cssText = HOST_STYLE;
  const shadow = host.attachShadow({ mode: 'open' });
  const style = document.createElement('style');
  style.textContent = styles;
  const container = document.createElement('div');
  shadow.append(style, container);
  document.body.appendChild(host);
  render(<App chat={chat} />, container);
  return () => {
    render(null, container);
    host.remove();
  };
}

function whenBodyReady(run: () => void): void {
  if (document.body) run();
  else document.addEventListener('DOMContentLoaded', run, { once: true });
}

/**
 * Replaces the snippet's stub with the API and replays what the page asked for before the widget
 * loaded. Both stub shapes are accepted: `Parley.q = [arguments…]` and a plain array of calls.
 */
function installApi(chat: Chat): void {
  const stub: unknown = window.Parley;
  const queued = Array.isArray(stub) ? stub : typeof stub === 'function' ? (stub as { q?: unknown }).q : undefined;

  const run = (command: unknown, argument?: unknown) => {
    if (command === 'open' || command === 'close') chat.setOpen(command === 'open');
    else if (command === 'identify') identifyFrom(chat, argument);
  };
  const api: ParleyApi = Object.assign((command: Command, argument?: unknown) => run(command, argument), {
    open: () => run('open'),
    close: () => run('close'),
    identify: (identity: VisitorIdentity) => run('identify', identity),
  });
  window.Parley = api;

  if (Array.isArray(queued)) {
    for (const call of queued) {
      if (typeof call === 'string') run(call);
      else run((call as ArrayLike<unknown> | null)?.[0], (call as ArrayLike<unknown> | null)?.[1]);
    }
  }
}

/** Hand-checked, as the page may pass anything; a wrong shape is said once in the console. */
function identifyFrom(chat: Chat, value: unknown): void {
  const given = (value ?? {}) as Record<string, unknown>;
  const text = (key: string) => (typeof given[key] === 'string' && given[key] ? given[key] as string : undefined);
  const userId = text('userId'), userHash = text('userHash');
  if (!userId || !userHash) return warnOnce('identify needs userId and userHash (see examples/identity.ts)');
  const name = text('name'), email = text('email');
  chat.identify({ userId, userHash, ...(name ? { name } : {}), ...(email ? { email } : {}) });
}
