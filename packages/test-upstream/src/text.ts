// Text helpers shared by every endpoint: the default reply, "token" counts (words), stream pieces and
// max-token truncation. A "token" here is a run of non-whitespace characters.

/** The reply a model gives when nothing overrides it. */
export function defaultReply(lastUserText: string, model: string): string {
  return `Reply to "${lastUserText}" from ${model}`;
}

/** Number of words (runs of non-whitespace) in the text. */
export function countWords(text: string): number {
  return text.match(/\S+/g)?.length ?? 0;
}

/**
 * Splits the text into one piece per word, each keeping the whitespace that follows it (the first also
 * keeps any leading whitespace), so that joining the pieces gives the text back exactly.
 */
export function wordPieces(text: string): string[] {
  return text.split(/(?<=\s)(?=\S)/).filter((piece) => piece.length > 0);
}

/** Splits the text into consecutive pieces of at most `size` characters; joining them gives the text back. */
export function fixedPieces(text: string, size = 8): string[] {
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
  return pieces;
}

/** The text cut after its first `maxWords` words (trailing whitespace dropped), and whether it was cut. */
export function truncateWords(text: string, maxWords: unknown): { text: string; truncated: boolean } {
  if (typeof maxWords !== 'number' || !Number.isFinite(maxWords) || maxWords < 0) return { text, truncated: false };
  const limit = Math.floor(maxWords);
  if (countWords(text) <= limit) return { text, truncated: false };
  if (limit === 0) return { text: '', truncated: true };
  let end = 0;
  let seen = 0;
  for (const match of text.matchAll(/\S+/g)) {
    end = (match.index ?? 0) + match[0].length;
    if (++seen === limit) break;
  }
  return { text: text.slice(0, end), truncated: true };
}

/**
 * The text of a message content: a string as is; for an array of parts (OpenAI `{ type: 'text', text }`,
 * Anthropic text blocks) the text parts joined with a space; anything else gives `''`.
 */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter(
      (part): part is { type: 'text'; text: string } => typeof part === 'object' && part !== null && part.type === 'text' && typeof part.text === 'string',
    )
    .map((part) => part.text)
    .join(' ');
}

/** Text of the last message whose role is `user`, `''` when there is none. */
export function lastUserText(messages: unknown): string {
  if (!Array.isArray(messages)) return '';
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (typeof message === 'object' && message !== null && message.role === 'user') return contentText(message.content);
  }
  return '';
}

/** All the text of a message list (every role), space-separated, for token counts and trigger phrases. */
export function allMessagesText(messages: unknown): string {
  if (!Array.isArray(messages)) return '';
  return messages.map((message) => (typeof message === 'object' && message !== null ? contentText(message.content) : '')).join(' ');
}

/** Whether the text contains the phrase (case-insensitive, whitespace-insensitive, whole words). */
export function mentions(text: string, phrase: string): boolean {
  const pattern = phrase.trim().split(/\s+/).map(escapeRegExp).join('\\s+');
  return new RegExp(`\\b${pattern}\\b`, 'i').test(text);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
