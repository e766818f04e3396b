// Pieces of OpenAI chat messages that every native provider reads the same way.
import { describeValue } from '@llmcache/core/internal';
import type { PlainMessage } from '../provider';
import { isObject } from '../validate';

/**
 * A param that should be text, as text: a string as it is, a number, boolean, null or undefined as `String()`
 * writes it, and anything else (an object is a mistake in the params) described, not as `[object Object]`.
 */
export function paramText(value: unknown): string {
  return typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'boolean' ||
    typeof value === 'bigint' ||
    value === null ||
    value === undefined
    ? String(value)
    : describeValue(value);
}

/** The text of a message's content: a string as is, text parts joined. */
export function textOf(content: PlainMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!content) return '';
  return content.map((part) => (part.type === 'text' ? (part.text ?? '') : '')).join('');
}

/** A tool call's `arguments` (a JSON string) as the object native APIs want; `{}` when it is not JSON. */
export function parseArguments(args: string | undefined): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(args ?? '{}');
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : { value: parsed };
  } catch {
    return {};
  }
}

/** `data:image/png;base64,…` → its media type and base64 data; undefined for any other URL. */
export function dataUrl(url: string): { mediaType: string; base64: string } | undefined {
  const match = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  return match ? { mediaType: match[1]!, base64: match[2]! } : undefined;
}

/** The URL of an `image_url` part (`{ url }` or a bare string). */
export function imageUrlOf(part: Record<string, unknown>): string {
  const value = part.image_url;
  return typeof value === 'string' ? value : paramText((value as { url?: unknown } | undefined)?.url ?? '');
}

/** The `response_format` param's `type`, and the `json_schema.schema` of a JSON schema one (undefined where absent). */
export function responseFormatOf(value: unknown): { type: unknown; schema: unknown } {
  const format = isObject(value) ? value : undefined;
  const jsonSchema = isObject(format?.json_schema) ? format.json_schema : undefined;
  return { type: format?.type, schema: jsonSchema?.schema };
}

/** The `stop` param as a list. */
export function stopList(stop: unknown): string[] | undefined {
  if (stop === undefined || stop === null) return undefined;
  return Array.isArray(stop) ? stop.map(String) : [paramText(stop)];
}
