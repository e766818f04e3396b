// OpenAI's message list as the native chat APIs (Anthropic, Bedrock Converse, Gemini) want it: the system
// messages apart, and the rest as alternating user and assistant turns of the API's own content parts.
import type { PlainMessage, PlainToolCall } from '../provider';
import { imageUrlOf, parseArguments, textOf } from './message-parts';

export interface Turn<Part> {
  role: 'user' | 'assistant';
  parts: Part[];
}

/** How one API writes each piece of a conversation. */
export interface TurnMapping<Part> {
  /** A message's content (text and image parts) as the API's parts. */
  content(content: PlainMessage['content']): Part[];
  /** A tool's result; `functionName` is the name the assistant called it by, when an earlier message says. */
  toolResult(message: PlainMessage, functionName: string | undefined): Part;
  /** One of the assistant's tool calls, its arguments parsed. */
  toolCall(call: PlainToolCall, args: Record<string, unknown>): Part;
  /** Whether a message with no parts still makes (or joins) a turn. @default false */
  keepEmpty?: boolean;
}

/**
 * The system messages' texts and the other messages as turns. Tool results are the user's; neighbours of
 * one role are merged, since these APIs want user and assistant turns to alternate.
 */
export function chatTurns<Part>(messages: unknown, mapping: TurnMapping<Part>): { system: string[]; turns: Array<Turn<Part>> } {
  const system: string[] = [];
  const turns: Array<Turn<Part>> = [];
  // Some APIs name a tool result by its function, not the call id.
  const functionNames = new Map<string, string>();
  const push = (role: Turn<Part>['role'], parts: Part[]) => {
    if (parts.length === 0 && !mapping.keepEmpty) return;
    const last = turns[turns.length - 1];
    if (last?.role === role) last.parts.push(...parts);
    else turns.push({ role, parts });
  };
  for (const message of (messages ?? []) as PlainMessage[]) {
    if (message.role === 'system' || message.role === 'developer') {
      system.push(textOf(message.content));
    } else if (message.role === 'tool') {
      push('user', [mapping.toolResult(message, functionNames.get(String(message.tool_call_id)))]);
    } else if (message.role === 'assistant') {
      const parts = mapping.content(message.content);
      for (const call of message.tool_calls ?? []) {
        functionNames.set(call.id, call.function.name);
        parts.push(mapping.toolCall(call, parseArguments(call.function.arguments)));
      }
      push('assistant', parts);
    } else {
      push('user', mapping.content(message.content));
    }
  }
  return { system, turns };
}

/**
 * A message's content as an API's parts: a string is one text part (none when empty), text parts are text
 * (empty ones dropped unless `keepEmptyText`), `image_url` parts go to `image` with their URL; others are left out.
 */
export function contentParts<Part>(
  content: PlainMessage['content'],
  map: { text: (text: string) => Part; image: (url: string) => Part; keepEmptyText?: boolean },
): Part[] {
  if (typeof content === 'string') return content === '' ? [] : [map.text(content)];
  if (!content) return [];
  return content.flatMap((part): Part[] => {
    if (part.type === 'text') return part.text || map.keepEmptyText ? [map.text(part.text ?? '')] : [];
    if (part.type === 'image_url') return [map.image(imageUrlOf(part))];
    return [];
  });
}
