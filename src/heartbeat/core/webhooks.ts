import type {
  HeartbeatWebhookOptions,
  ResolvedHeartbeatWebhook,
} from '../interfaces/heartbeat-webhook.interface.js';
import { HeartbeatMessages } from './messages.js';

/**
 * The events a webhook receives unless told otherwise: state changes (recoveries included) and
 * drops.
 * @publicApi
 */
export const DEFAULT_WEBHOOK_EVENTS: readonly string[] = Object.freeze([
  'heartbeat.state-changed',
  'heartbeat.dropped',
]);

/** `state-changed` and `heartbeat.state-changed` name the same event. @internal */
export function fullEventName(name: string): string {
  const trimmed = name.trim();
  return trimmed.startsWith('heartbeat.') ? trimmed : `heartbeat.${trimmed}`;
}

/**
 * A URL as it may be shown or logged: scheme and host only, since the path of a webhook URL is
 * often its secret (chat services put their token there).
 * @internal
 */
export function redactWebhookUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const rest = parsed.pathname === '/' && !parsed.search ? '/' : '/…';
    return `${parsed.protocol}//${parsed.host}${rest}`;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * Validates the `webhooks` option: each an `http:` or `https:` URL, an optional string secret
 * and a list of event names (made full: `dropped` becomes `heartbeat.dropped`). Whether each
 * name is a real event is checked by the dispatcher, which knows them.
 *
 * @publicApi
 */
export function resolveHeartbeatWebhooks(
  raw: readonly HeartbeatWebhookOptions[] | undefined,
): readonly ResolvedHeartbeatWebhook[] {
  if (raw === undefined) return Object.freeze([]);
  if (!Array.isArray(raw)) {
    throw new Error(
      HeartbeatMessages.invalidOption(`webhooks (${typeof raw})`, 'a list'),
    );
  }
  return Object.freeze(
    raw.map((entry: HeartbeatWebhookOptions, i) => {
      const where = `webhooks[${i}]`;
      let url: URL;
      try {
        url = new URL(entry.url);
      } catch {
        throw new Error(HeartbeatMessages.invalidWebhookUrl(where));
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new Error(HeartbeatMessages.invalidWebhookUrl(where));
      }
      if (
        entry.secret !== undefined &&
        (typeof entry.secret !== 'string' || entry.secret === '')
      ) {
        throw new Error(
          HeartbeatMessages.invalidOption(
            `${where}.secret (${entry.secret === '' ? 'empty' : typeof entry.secret})`,
            'a non-empty string',
          ),
        );
      }
      const events = entry.events ?? DEFAULT_WEBHOOK_EVENTS;
      if (
        !Array.isArray(events) ||
        events.length === 0 ||
        events.some((name) => typeof name !== 'string')
      ) {
        throw new Error(
          HeartbeatMessages.invalidOption(
            `${where}.events=${JSON.stringify(events)}`,
            'a non-empty list of event names',
          ),
        );
      }
      return Object.freeze({
        url: entry.url,
        secret: entry.secret,
        events: Object.freeze([...new Set(events.map(fullEventName))]),
      });
    }),
  );
}
