// A rule-based FAQ bot for a site with `botFirst`: it answers two questions and hands everything
// else to a human. No dependencies: `node examples/faq-bot/bot.mjs`.
//   PARLEY_URL=http://localhost:3000   the Parley server
//   PARLEY_TOKEN=parley_pat_…          an API token (role agent is enough)
//   PARLEY_WEBHOOK_SECRET=whsec_…      the secret of the webhook that points at this bot
//   PORT=4100                          where to listen
//
// Parley sends the bot every visitor message by webhook (`message.created`); the bot answers
// through the REST API as author kind `bot`, or calls …/handoff, after which routing gives the
// conversation to the least-loaded online agent and the bot stays quiet.
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createReceiver } from '../webhook-receiver/server.mjs';

export const BOT_NAME = 'FAQ bot';

/** The questions it knows, as patterns over the visitor's words, and the answers. */
export const ANSWERS = [
  { pattern: /\b(hours?|open|opening|close|closing)\b/i, answer: 'We are open Monday to Friday, 9:00 to 17:30 (Paris time).' },
  { pattern: /\b(ship|shipping|deliver|delivery)\b/i, answer: 'Orders ship the next working day and arrive in 2 to 3 days.' },
];

export const HANDOFF_REPLY = 'Good question for a person: I am passing you to a colleague, who will answer here.';

/** The answer to a visitor's words, or null when a human should take over. */
export function answerFor(text) {
  return ANSWERS.find(({ pattern }) => pattern.test(text))?.answer ?? null;
}

/**
 * The bot as a webhook request handler.
 * @param {{ apiUrl: string, apiToken: string, secret: string, name?: string, onError?: (error: unknown) => void }} options
 */
export function createFaqBot({ apiUrl, apiToken, secret, name = BOT_NAME, onError = (error) => console.error(error) }) {
  const api = async (method, path, body) => {
    const response = await fetch(`${apiUrl}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${apiToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return response.json();
  };

  const onMessage = async (event) => {
    const { message } = event.data;
    // Only visitors' words; the bot's own replies and agents' come back as events too.
    if (message.authorKind !== 'visitor') return;
    const { conversation } = await api('GET', `/conversations/${message.conversationId}`);
    if (!conversation.withBot) return;
    const answer = answerFor(message.body);
    // The clientId is derived from the event: a redelivered webhook cannot make the bot say it twice.
    await api('POST', `/conversations/${conversation.id}/messages`, {
      body: answer ?? HANDOFF_REPLY, clientId: `faq-bot-${event.id}`, author: { kind: 'bot', name },
    });
    if (!answer) await api('POST', `/conversations/${conversation.id}/handoff`, { note: `${name} could not answer: "${message.body}"` });
  };

  return createReceiver(secret, (event) => {
    // The receiver has answered 204 already; the bot's work happens after.
    if (event.type === 'message.created') onMessage(event).catch(onError);
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { PARLEY_URL = 'http://localhost:3000', PARLEY_TOKEN, PARLEY_WEBHOOK_SECRET, PORT = '4100' } = process.env;
  if (!PARLEY_TOKEN || !PARLEY_WEBHOOK_SECRET) {
    console.error('Set PARLEY_TOKEN (an API token) and PARLEY_WEBHOOK_SECRET (the webhook\'s secret); see README.md.');
    process.exit(1);
  }
  createServer(createFaqBot({ apiUrl: PARLEY_URL, apiToken: PARLEY_TOKEN, secret: PARLEY_WEBHOOK_SECRET }))
    .listen(Number(PORT), () => console.log(`${BOT_NAME} listening on http://localhost:${PORT}/`));
}
