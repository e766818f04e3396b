import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { CRC32C } from '@google-cloud/storage';

/**
 * A small in-memory Cloud Storage JSON API server on 127.0.0.1, because no GCS emulator can be installed
 * where these tests run. It answers the calls `@google-cloud/storage` makes for this package, as Google
 * documents them: multipart upload, media download (with the object's `x-goog-*` headers), object
 * metadata, delete and list, each with `ifGenerationMatch` / `generation`, and Google's error shape.
 * Like the real service, an object appears only once its whole upload has arrived, and each write gets
 * a new generation.
 */

export interface StoredGcsObject {
  data: Buffer;
  contentType: string;
  metadata: Record<string, string>;
  generation: string;
  created: Date;
  /** Base64 checksums, computed once on write as the service does. */
  md5Hash: string;
  crc32c: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
}

export interface GcsServer {
  /** `http://127.0.0.1:PORT`: what `gcsApiEndpoint` or `STORAGE_EMULATOR_HOST` takes. */
  readonly url: string;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** Adds an empty bucket. */
  createBucket(name: string): void;
  /** The stored object, read behind the client's back. */
  object(bucket: string, name: string): StoredGcsObject | undefined;
  /** Writes an object behind the client's back (a new generation, as any writer's would be). */
  put(bucket: string, name: string, data: string | Buffer, metadata?: Record<string, string>): void;
  /** Accept connections but never answer (a hung store). */
  hang: boolean;
  /** Answer every request with this error status (e.g. 503), in Google's error shape. */
  failWith: number | undefined;
  /** Leave the `x-goog-meta-*` headers off media downloads, to prove the client does not depend on them. */
  mediaMetadataHeaders: boolean;
  /** Send half of each download's body, then break the connection (`cut`) or send nothing more (`stall`). */
  downloadFault: 'cut' | 'stall' | undefined;
  /** Connections open now. */
  readonly openConnections: number;
  /** Called with each request before it is answered. */
  onRequest: ((request: RecordedRequest) => void) | undefined;
  /** Stops listening and drops every connection. */
  close(): Promise<void>;
}

interface ApiError {
  status: number;
  reason: string;
  message: string;
}

const notFound = (message: string): ApiError => ({ status: 404, reason: 'notFound', message });
const NO_BUCKET = notFound('The specified bucket does not exist.');
const CONDITION_NOT_MET: ApiError = { status: 412, reason: 'conditionNotMet', message: 'At least one of the pre-conditions you specified did not hold.' };

export async function startGcsServer(options: { buckets?: string[] } = {}): Promise<GcsServer> {
  const buckets = new Map<string, Map<string, StoredGcsObject>>();
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let lastGeneration = 0;
  // Generations are microsecond timestamps on the real service; they only ever grow.
  const nextGeneration = () => String((lastGeneration = Math.max(lastGeneration + 1, Date.now() * 1000)));

  const store = (bucket: string, name: string, data: Buffer, contentType: string, metadata: Record<string, string>) => {
    const object = { data, contentType, metadata, generation: nextGeneration(), created: new Date(), md5Hash: md5Of(data), crc32c: crc32cOf(data) };
    buckets.get(bucket)!.set(name, object);
    return object;
  };

  const state: GcsServer = {
    url: '',
    requests,
    hang: false,
    failWith: undefined,
    mediaMetadataHeaders: true,
    downloadFault: undefined,
    get openConnections() {
      return sockets.size;
    },
    onRequest: undefined,
    createBucket: (name) => void buckets.set(name, buckets.get(name) ?? new Map()),
    object: (bucket, name) => buckets.get(bucket)?.get(name),
    put: (bucket, name, data, metadata = {}) => {
      state.createBucket(bucket);
      store(bucket, name, Buffer.from(data), 'text/plain; charset=utf-8', metadata);
    },
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  for (const name of options.buckets ?? []) state.createBucket(name);

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://gcs.test');
    const query = Object.fromEntries(url.searchParams);
    const recorded = { method: req.method ?? 'GET', path: url.pathname, query, headers: req.headers };
    requests.push(recorded);
    state.onRequest?.(recorded);
    if (state.hang) return;
    if (state.failWith) return sendError(res, { status: state.failWith, reason: 'backendError', message: 'Backend Error' });
    handle(req, res, url.pathname, query).catch((err: unknown) => sendError(res, { status: 500, reason: 'backendError', message: String(err) }));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse, path: string, query: Record<string, string>): Promise<void> {
    // Path segments are split before decoding: an object name's "/" travels as %2F.
    const upload = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(path);
    const objects = /^\/storage\/v1\/b\/([^/]+)\/o$/.exec(path);
    const object = /^\/storage\/v1\/b\/([^/]+)\/o\/([^/]+)$/.exec(path);
    if (upload && req.method === 'POST') return insert(req, res, decodeURIComponent(upload[1]!), query);
    if (objects && req.method === 'GET') return list(res, decodeURIComponent(objects[1]!), query);
    if (object) {
      const [bucket, name] = [decodeURIComponent(object[1]!), decodeURIComponent(object[2]!)];
      if (req.method === 'GET') return get(res, bucket, name, query);
      if (req.method === 'DELETE') return remove(res, bucket, name, query);
    }
    sendError(res, notFound(`Not Found: ${req.method} ${path}`));
  }

  /** objects.insert with uploadType=multipart: a JSON part (the object resource) and a media part, in one request. */
  async function insert(req: IncomingMessage, res: ServerResponse, bucket: string, query: Record<string, string>): Promise<void> {
    const body = await readBody(req);
    if (!buckets.has(bucket)) return sendError(res, NO_BUCKET);
    if (query.uploadType !== 'multipart') {
      return sendError(res, { status: 400, reason: 'invalid', message: `this test server implements uploadType=multipart only, got ${query.uploadType}` });
    }
    const boundary = /boundary=("?)([^";]+)\1/.exec(req.headers['content-type'] ?? '')?.[2];
    const parts = boundary ? multipartParts(body, boundary) : undefined;
    if (parts?.length !== 2) return sendError(res, { status: 400, reason: 'invalid', message: 'Invalid multipart request body.' });
    const resource = JSON.parse(parts[0]!.body.toString('utf8')) as { name?: string; contentType?: string; metadata?: Record<string, unknown> };
    const name = query.name ?? resource.name;
    if (!name) return sendError(res, { status: 400, reason: 'required', message: 'Required' });
    const current = buckets.get(bucket)!.get(name);
    if (!generationMatches(current, query.ifGenerationMatch)) return sendError(res, CONDITION_NOT_MET);
    // Metadata values are strings on the service; it stores what JSON gave as text.
    const metadata = Object.fromEntries(Object.entries(resource.metadata ?? {}).map(([k, v]) => [k, String(v)]));
    const contentType = resource.contentType ?? parts[1]!.headers['content-type'] ?? 'application/octet-stream';
    sendJson(res, 200, resourceOf(bucket, name, store(bucket, name, parts[1]!.body, contentType, metadata)));
  }

  /** objects.get: the resource, or with alt=media the bytes and the resource's fields as x-goog-* headers. */
  function get(res: ServerResponse, bucket: string, name: string, query: Record<string, string>): void {
    const found = lookup(bucket, name, query.generation);
    if ('status' in found) return sendError(res, found);
    if (query.alt !== 'media') return sendJson(res, 200, resourceOf(bucket, name, found));
    const { data } = found;
    const headers: Record<string, string> = {
      'content-type': found.contentType,
      'content-length': String(data.length),
      etag: etagOf(found),
      'last-modified': found.created.toUTCString(),
      'cache-control': 'no-cache, no-store, max-age=0, must-revalidate',
      'x-goog-generation': found.generation,
      'x-goog-metageneration': '1',
      'x-goog-hash': `crc32c=${found.crc32c},md5=${found.md5Hash}`,
      'x-goog-stored-content-encoding': 'identity',
      'x-goog-stored-content-length': String(data.length),
      'x-goog-storage-class': 'STANDARD',
    };
    if (state.mediaMetadataHeaders) for (const [key, value] of Object.entries(found.metadata)) headers[`x-goog-meta-${key}`] = value;
    res.writeHead(200, headers);
    if (!state.downloadFault) return void res.end(data);
    const cut = state.downloadFault === 'cut';
    res.write(data.subarray(0, Math.floor(data.length / 2)), () => cut && res.socket?.destroy());
  }

  function remove(res: ServerResponse, bucket: string, name: string, query: Record<string, string>): void {
    const found = lookup(bucket, name, query.generation);
    if ('status' in found) return sendError(res, found);
    if (!generationMatches(found, query.ifGenerationMatch)) return sendError(res, CONDITION_NOT_MET);
    buckets.get(bucket)!.delete(name);
    res.writeHead(204).end();
  }

  /** objects.list: names in lexicographic order, `maxResults` (default 1000) a page, `nextPageToken` while more remain. */
  function list(res: ServerResponse, bucket: string, query: Record<string, string>): void {
    const inBucket = buckets.get(bucket);
    if (!inBucket) return sendError(res, NO_BUCKET);
    const prefix = query.prefix ?? '';
    const after = query.pageToken ? Buffer.from(query.pageToken, 'base64url').toString('utf8') : undefined;
    const names = [...inBucket.keys()].filter((n) => n.startsWith(prefix) && (after === undefined || n > after)).sort();
    const page = names.slice(0, Math.min(Number(query.maxResults ?? 1000), 1000));
    const out: Record<string, unknown> = { kind: 'storage#objects' };
    if (page.length > 0) out.items = page.map((n) => resourceOf(bucket, n, inBucket.get(n)!));
    if (names.length > page.length) out.nextPageToken = Buffer.from(page.at(-1)!).toString('base64url');
    sendJson(res, 200, out);
  }

  function lookup(bucket: string, name: string, generation: string | undefined): StoredGcsObject | ApiError {
    const inBucket = buckets.get(bucket);
    if (!inBucket) return NO_BUCKET;
    const found = inBucket.get(name);
    // Without object versioning only the live generation exists.
    if (!found || (generation !== undefined && generation !== found.generation)) return notFound(`No such object: ${bucket}/${name}`);
    return found;
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (state as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

/** `ifGenerationMatch=0` means "only if there is no live object"; any other value must be its generation. */
function generationMatches(current: StoredGcsObject | undefined, wanted: string | undefined): boolean {
  if (wanted === undefined) return true;
  return wanted === '0' ? current === undefined : current?.generation === wanted;
}

/** The object resource as objects.get, objects.insert and objects.list return it. */
function resourceOf(bucket: string, name: string, object: StoredGcsObject): Record<string, unknown> {
  const time = object.created.toISOString();
  const resource: Record<string, unknown> = {
    kind: 'storage#object',
    id: `${bucket}/${name}/${object.generation}`,
    selfLink: `/storage/v1/b/${bucket}/o/${encodeURIComponent(name)}`,
    mediaLink: `/download/storage/v1/b/${bucket}/o/${encodeURIComponent(name)}?generation=${object.generation}&alt=media`,
    name,
    bucket,
    generation: object.generation,
    metageneration: '1',
    contentType: object.contentType,
    storageClass: 'STANDARD',
    size: String(object.data.length),
    md5Hash: object.md5Hash,
    crc32c: object.crc32c,
    etag: etagOf(object),
    timeCreated: time,
    updated: time,
    timeStorageClassUpdated: time,
  };
  if (Object.keys(object.metadata).length > 0) resource.metadata = object.metadata;
  return resource;
}

const md5Of = (data: Buffer) => createHash('md5').update(data).digest('base64');
const crc32cOf = (data: Buffer) => {
  const crc = new CRC32C();
  crc.update(data);
  return crc.toString();
};
const etagOf = (object: StoredGcsObject) => Buffer.from(`${object.generation}/1`).toString('base64');

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) }).end(text);
}

/** Google's JSON error shape: `{ error: { code, message, errors: [{ message, domain, reason }] } }`. */
function sendError(res: ServerResponse, { status, reason, message }: ApiError): void {
  sendJson(res, status, { error: { code: status, message, errors: [{ message, domain: 'global', reason }] } });
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The parts of a complete `multipart/related` body, or undefined when it is cut short or malformed. */
function multipartParts(body: Buffer, boundary: string): { headers: Record<string, string>; body: Buffer }[] | undefined {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: { headers: Record<string, string>; body: Buffer }[] = [];
  let at = body.indexOf(delimiter);
  if (at < 0) return undefined;
  for (;;) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') return parts; // the closing delimiter
    const next = body.indexOf(delimiter, start);
    if (next < 0) return undefined;
    const part = body.subarray(start + 2, next - 2); // between this delimiter's CRLF and the next one's leading CRLF
    const split = part.indexOf('\r\n\r\n');
    if (split < 0) return undefined;
    const headers = Object.fromEntries(
      part
        .subarray(0, split)
        .toString('utf8')
        .split('\r\n')
        .map((line) => {
          const colon = line.indexOf(':');
          return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
        }),
    );
    parts.push({ headers, body: part.subarray(split + 4) });
    at = next;
  }
}
