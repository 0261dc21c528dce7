// The events a webhook can subscribe to: the domain events a site owner's systems care about, under
// their public names (`conversation.status` is `conversation.status_changed`; notes arrive as
// `message.created` with `private: true`). `ping` is only ever sent by the test endpoint.
import type { WebhookEventType } from '../../../protocol/index.ts';

export type { WebhookEventType };

export const WEBHOOK_EVENTS = [
  'conversation.created',
  'conversation.assigned',
  'conversation.status_changed',
  'message.created',
  'visitor.updated',
  'visitor.erased',
] as const satisfies readonly WebhookEventType[];
