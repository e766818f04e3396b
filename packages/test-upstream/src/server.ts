// The HTTP server: records each request, applies scripted steps and latencies, checks credentials, and
// hands the request to its endpoint.
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleMessages } from './anthropic-messages';
import { handleConverse } from './bedrock-converse';
import { anthropicError, bedrockError, googleError, ollamaError, openAIError } from './errors';
import { handleToken, parseTokenForm } from './google-token';
import type { Exchange } from './exchange';
import { dropConnection, isClosed, readBody, sendJson, sleep } from './http';
import { handleOllamaChat, handleOllamaEmbed, handleOllamaGenerate } from './ollama';
import { handleChatCompletion } from './openai-chat';
import { handleTextCompletion } from './openai-completions';
import { handleEmbeddings } from './embeddings';
import { sendBody, sendRawStream } from './raw';
import { type Endpoint, type Route, TOKEN_PATH, matchRoute } from './routes';
import { UpstreamState } from './state';
import { handleTranscription, parseTranscriptionForm, transcriptionRecord } from './transcriptions';
import type { RecordedCall, Upstream, UpstreamOptions } from './types';
import { handleGenerateContent } from './vertex-gemini';

/** The API key that every endpoint rejects with 401; any other key, or none, is accepted. */
export const BAD_API_KEY = 'bad-key';

const HANDLERS: Record<Endpoint, (exchange: Exchange) => Promise<void>> = {
  chat: handleChatCompletion,
  completions: handleTextCompletion,
  embeddings: handleEmbeddings,
  transcriptions: handleTranscription,
  messages: handleMessages,
  converse: (exchange) => handleConverse(exchange, false),
  'converse-stream': (exchange) => handleConverse(exchange, true),
  'generate-content': (exchange) => handleGenerateContent(exchange, false),
  'stream-generate-content': (exchange) => handleGenerateContent(exchange, true),
  'ollama-generate': handleOllamaGenerate,
  'ollama-chat': handleOllamaChat,
  'ollama-embed': handleOllamaEmbed,
};

/**
 * Starts a local OpenAI-, Azure OpenAI-, Anthropic-, Bedrock-, Vertex AI- and Ollama-compatible server on a real socket.
 *
 * @example
 * const upstream = await startUpstream();
 * const res = await fetch(`${upstream.openaiBase}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' },
 *   body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] }) });
 * // (await res.json()).choices[0].message.content === 'Reply to "Hi" from gpt-4o'
 * await upstream.close();
 */
export async function startUpstream(options: UpstreamOptions = {}): Promise<Upstream> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  const state = new UpstreamState();

  const server = createServer((req, res) => {
    res.on('error', () => {}); // writes racing a client disconnect must not crash the process
    req.on('error', () => {});
    handle(state, req, res).catch(() => {
      if (isClosed(res)) return;
      if (res.headersSent) dropConnection(res);
      else sendJson(res, 500, openAIError(500));
    });
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  let openConnections = 0;
  server.on('connection', (socket) => {
    openConnections++;
    socket.once('close', () => openConnections--);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  const address = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  let closing: Promise<void> | undefined;

  return {
    url,
    openaiBase: `${url}/v1`,
    tokenUrl: `${url}/token`,
    calls: state.calls,
    callCount: (filter) => state.callCount(filter),
    peakConcurrency: (model) => state.peakConcurrency(model),
    openConnections: () => openConnections,
    script: (model, ...steps) => state.script(model, steps),
    setLatency: (model, ms) => state.setLatency(model, ms),
    setReply: (model, text) => state.setReply(model, text),
    setEmbedding: (model, source) => state.setEmbedding(model, source),
    reset: () => state.reset(),
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

async function handle(state: UpstreamState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? 'GET';
  const rawUrl = req.url ?? '/';
  const path = new URL(rawUrl, 'http://upstream.invalid').pathname;
  const call: RecordedCall = { path, url: rawUrl, method, model: '', body: undefined, headers: { ...req.headers }, at: Date.now() };
  state.calls.push(call);

  const aborted = new AbortController();
  res.once('close', () => aborted.abort());

  const raw = await readBody(req);
  if (method === 'POST' && path === TOKEN_PATH) {
    call.body = parseTokenForm(raw);
    handleToken(res, call.body, state);
    return;
  }
  const route = matchRoute(method, path);
  if (route === undefined) {
    call.body = parseJsonOrText(raw);
    sendJson(res, 404, openAIError(404, { message: `Invalid URL (${method} ${path})`, code: null }));
    return;
  }
  call.model = route.deployment ?? '';

  const parsed = await parseBody(route, req, raw);
  if (!parsed.ok) {
    call.body = parsed.recorded;
    sendError(res, route, 400, { message: parsed.message });
    return;
  }
  const body = parsed.body;
  const model = route.deployment ?? (typeof body.model === 'string' ? body.model : '');
  call.model = model;
  call.body = body;

  const done = state.begin(model); // in flight until the answer is flushed or the connection closes
  res.once('finish', done);
  res.once('close', done);
  const step = state.takeStep(model);
  await sleep(step !== undefined && 'latencyMs' in step ? step.latencyMs : state.latency(model), aborted.signal);
  if (isClosed(res)) return;

  // Answers scripted as they are win over everything else, so a client's handling of them can be tested alone.
  if (step !== undefined && 'body' in step) {
    sendBody(res, step);
    return;
  }
  if (step !== undefined && 'rawStream' in step) {
    await sendRawStream(res, step);
    return;
  }
  const streaming =
    route.streams ??
    (route.streamsByDefault ? body.stream !== false : body.stream === true && route.endpoint !== 'transcriptions' && route.endpoint !== 'embeddings');
  if (step !== undefined && ('drop' in step || ('cutStreamAfter' in step && !streaming))) {
    dropConnection(res);
    return;
  }
  if (step !== undefined && 'status' in step && step.status >= 400) {
    // a status below 400 answers normally
    const headers: Record<string, string> = step.retryAfter === undefined ? {} : { 'retry-after': String(step.retryAfter) };
    sendError(res, route, step.status, step.message === undefined ? {} : { message: step.message }, headers);
    return;
  }
  if (hasBadKey(req, route)) {
    sendError(res, route, 401);
    return;
  }
  const missing = missingCredentials(req, route);
  if (missing !== undefined) {
    sendError(res, route, 401, { message: missing });
    return;
  }
  if (model === '') {
    sendError(res, route, 400, {
      message: route.flavor === 'anthropic' ? 'model: Field required' : route.flavor === 'ollama' ? 'model is required' : 'you must provide a model parameter',
    });
    return;
  }

  await HANDLERS[route.endpoint]({
    req,
    res,
    model,
    body,
    stepReply: step !== undefined && 'reply' in step ? step.reply : undefined,
    cutAfter: step !== undefined && 'cutStreamAfter' in step ? step.cutStreamAfter : undefined,
    state,
  });
}

type ParsedBody = { ok: true; body: any } | { ok: false; message: string; recorded: unknown };

async function parseBody(route: Route, req: IncomingMessage, raw: Buffer): Promise<ParsedBody> {
  if (route.endpoint === 'transcriptions') {
    try {
      const form = await parseTranscriptionForm(req.headers['content-type'], raw);
      return { ok: true, body: transcriptionRecord(form, route.deployment ?? '') };
    } catch {
      return { ok: false, message: 'Could not parse multipart form', recorded: raw.toString('utf8') };
    }
  }
  const text = raw.toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, message: 'We could not parse the JSON body of your request.', recorded: text };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, message: 'The request body must be a JSON object.', recorded: body };
  }
  return { ok: true, body };
}

function parseJsonOrText(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  const text = raw.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function hasBadKey(req: IncomingMessage, route: Route): boolean {
  const authorization = header(req, 'authorization') ?? '';
  if (authorization === `Bearer ${BAD_API_KEY}`) return true;
  // A SigV4 signature names its access key id: `Credential=<id>/<date>/<region>/bedrock/aws4_request`.
  if (route.flavor === 'bedrock') return authorization.includes(`Credential=${BAD_API_KEY}/`);
  return header(req, route.flavor === 'anthropic' ? 'x-api-key' : 'api-key') === BAD_API_KEY;
}

/**
 * What is missing for the providers that always authenticate: Bedrock needs a SigV4 signature
 * (`Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`), Vertex AI an OAuth
 * bearer token. The signature itself is not verified: the point is that the client signed.
 */
function missingCredentials(req: IncomingMessage, route: Route): string | undefined {
  const authorization = header(req, 'authorization') ?? '';
  if (
    route.flavor === 'bedrock' &&
    !/^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[^/]+\/bedrock\/aws4_request, ?SignedHeaders=[^,]+, ?Signature=[0-9a-f]{64}$/.test(authorization)
  ) {
    return 'Missing Authentication Token: expected a SigV4 Authorization header (AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…)';
  }
  if (route.flavor === 'vertex' && !/^Bearer \S+$/.test(authorization)) {
    return 'Request is missing required authentication credential. Expected OAuth 2 access token.';
  }
  return undefined;
}

function sendError(res: ServerResponse, route: Route, status: number, details: { message?: string } = {}, headers: Record<string, string> = {}): void {
  if (route.flavor === 'bedrock') {
    const error = bedrockError(status, details);
    sendJson(res, error.status, error.body, { ...headers, ...error.headers });
    return;
  }
  const body =
    route.flavor === 'anthropic'
      ? anthropicError(status, details)
      : route.flavor === 'vertex'
        ? googleError(status, details)
        : route.flavor === 'ollama'
          ? ollamaError(status, details)
          : openAIError(status, details);
  sendJson(res, status, body, headers);
}
