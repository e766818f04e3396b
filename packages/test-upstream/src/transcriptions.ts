// POST /v1/audio/transcriptions and Azure /openai/deployments/{deployment}/audio/transcriptions.
import { createHash } from 'node:crypto';
import { type Exchange, replyText } from './exchange';
import { openAIError } from './errors';
import { sendJson, sendText } from './http';

/** What a transcription request carried: the `file` part (if any) and every other form field as text. */
export interface TranscriptionForm {
  file: { name: string; bytes: number; sha256: string } | undefined;
  fields: Record<string, string>;
}

/** Parses a multipart/form-data body with the web `Request` of Node 20. Throws when it is not valid multipart. */
export async function parseTranscriptionForm(contentType: string | undefined, raw: Buffer): Promise<TranscriptionForm> {
  const form = await new Request('http://upstream.invalid/', {
    method: 'POST',
    headers: { 'content-type': contentType ?? '' },
    body: raw,
  }).formData();
  const fields: Record<string, string> = {};
  let file: TranscriptionForm['file'];
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') {
      fields[name] = value;
    } else if (name === 'file' && file === undefined) {
      const bytes = Buffer.from(await value.arrayBuffer());
      file = { name: value.name, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
    }
  }
  return { file, fields };
}

/**
 * The body recorded for a transcription request: `{ model, fileName, bytes, sha256, ...other fields }`
 * (`model` is the form field, or the Azure deployment when the form has none).
 */
export function transcriptionRecord(form: TranscriptionForm, model: string): Record<string, unknown> {
  return {
    ...form.fields,
    model: form.fields.model ?? model,
    fileName: form.file?.name,
    bytes: form.file?.bytes,
    sha256: form.file?.sha256,
  };
}

/** The default transcript of an upload: `transcript of <byteLength> bytes <first 8 hex digits of its SHA-256>`. */
export function defaultTranscript(bytes: number, sha256: string): string {
  return `transcript of ${bytes} bytes ${sha256.slice(0, 8)}`;
}

export async function handleTranscription(exchange: Exchange): Promise<void> {
  const { body, res } = exchange;
  if (typeof body.sha256 !== 'string' || typeof body.bytes !== 'number') {
    sendJson(res, 400, openAIError(400, { message: "Missing required parameter: 'file'.", param: 'file', code: 'missing_required_parameter' }));
    return;
  }
  const fallback = defaultTranscript(body.bytes, body.sha256);
  const text = replyText(exchange, fallback, fallback);
  const format = typeof body.response_format === 'string' ? body.response_format : 'json';
  switch (format) {
    case 'json':
      sendJson(res, 200, { text });
      return;
    case 'text':
      sendText(res, 200, text, 'text/plain; charset=utf-8');
      return;
    case 'verbose_json':
      sendJson(res, 200, {
        task: 'transcribe',
        language: typeof body.language === 'string' ? body.language : 'english',
        duration: 1,
        text,
        segments: [],
      });
      return;
    case 'srt':
      sendText(res, 200, `1\n00:00:00,000 --> 00:00:01,000\n${text}\n\n`, 'text/plain; charset=utf-8');
      return;
    case 'vtt':
      sendText(res, 200, `WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n${text}\n\n`, 'text/plain; charset=utf-8');
      return;
    default:
      sendJson(res, 400, openAIError(400, { message: `Invalid response_format: '${format}'.`, param: 'response_format', code: null }));
  }
}
