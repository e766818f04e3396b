// Pieces of OpenAI chat messages that every native provider reads the same way.
import type { PlainMessage } from '../provider';

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
  return typeof value === 'string' ? value : String((value as { url?: unknown } | undefined)?.url ?? '');
}

/** The `stop` param as a list. */
export function stopList(stop: unknown): string[] | undefined {
  if (stop === undefined || stop === null) return undefined;
  return Array.isArray(stop) ? stop.map(String) : [String(stop)];
}
