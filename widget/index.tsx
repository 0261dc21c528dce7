// The embed: <script src="https://HOST/widget.js" data-site="SITE_KEY" async></script>
// A polite guest on someone else's page: one global, one host element, nothing thrown, at most one
// console warning, and no socket until there is a reason for one.
import { render } from 'preact';
import { Chat } from './chat.ts';
import { App } from './components/App.tsx';
import { openStorage } from './storage.ts';
import { styles } from './styles.ts';
import { warnOnce } from './warn.ts';

type Command = 'open' | 'close';

interface ParleyApi {
  (command: Command): void;
  open(): void;
  close(): void;
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

  const run = (command: unknown) => {
    if (command === 'open' || command === 'close') chat.setOpen(command === 'open');
  };
  const api: ParleyApi = Object.assign((command: Command) => run(command), {
    open: () => run('open'),
    close: () => run('close'),
  });
  window.Parley = api;

  if (Array.isArray(queued)) {
    for (const call of queued) run(typeof call === 'string' ? call : (call as ArrayLike<unknown> | null)?.[0]);
  }
}
