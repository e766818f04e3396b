// A small Qdrant for the tests, since no Qdrant server can be installed on the test machines. It is a real
// HTTP server on 127.0.0.1 that implements the REST calls @qdrant/js-client-rest makes for this package,
// with Qdrant's documented semantics: answers are `{ result, status: "ok", time }`, errors
// `{ status: { error }, time }` with Qdrant's codes (400 wrong input, 404 missing collection, 409
// existing collection, 413 too large), cosine vectors are normalised on write and scored as the dot
// product of 32-bit floats, `score_threshold` drops lower scores, filters take must/should/must_not with
// match, range, is_empty and is_null, named vectors are optional per point, and `with_payload` defaults
// to true for retrieve and false for query. It also lets a test stall or stop it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Payload = Record<string, Json>;
type Distance = 'Cosine' | 'Dot' | 'Euclid' | 'Manhattan';

interface VectorParams {
  size: number;
  distance: Distance;
}

interface StoredPoint {
  id: string | number;
  /** By vector name; `''` is the unnamed vector. Cosine vectors are stored normalised. */
  vectors: Map<string, Float32Array>;
  payload: Payload;
  version: number;
}

interface StoredCollection {
  /** As given at creation: one unnamed vector, or named ones. */
  vectorsConfig: VectorParams | Record<string, VectorParams>;
  quantization: Json;
  points: Map<string, StoredPoint>;
  payloadSchema: Map<string, string>;
}

/** Qdrant answers an error with this shape and status. */
class QdrantHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const wrongInput = (message: string) => new QdrantHttpError(400, `Wrong input: ${message}`);
const notFound = (collection: string) => new QdrantHttpError(404, `Not found: Collection \`${collection}\` doesn't exist!`);

const DISTANCES: readonly Distance[] = ['Cosine', 'Dot', 'Euclid', 'Manhattan'];
const MAX_REQUEST_BYTES = 32 * 1024 * 1024; // Qdrant's default service.max_request_size_mb
const UUID = /^(?:urn:uuid:)?([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})$/i;

export interface QdrantServerOptions {
  /** When set, every request must carry it as the `api-key` header (or `Authorization: Bearer`). */
  apiKey?: string;
}

export interface LoggedRequest {
  method: string;
  path: string;
  body: unknown;
}

export class QdrantTestServer {
  readonly collections = new Map<string, StoredCollection>();
  /** Every request answered, in order. */
  readonly requests: LoggedRequest[] = [];
  /** Held before every answer, in ms: a slow Qdrant. */
  delayMs = 0;
  private server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly held = new Map<ReturnType<typeof setTimeout>, () => void>();
  private operationId = 0;
  port = 0;

  constructor(private readonly options: QdrantServerOptions = {}) {
    this.server = this.createHttpServer();
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Listens on `port` (a free one when 0). */
  async start(port = this.port): Promise<this> {
    this.server = this.createHttpServer();
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Stops listening and drops every connection: a Qdrant that is down. The data stays for `start()`. */
  async stop(): Promise<void> {
    for (const [timer, release] of this.held) {
      clearTimeout(timer);
      release();
    }
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The requests whose `METHOD path` matches. */
  calls(pattern: RegExp): LoggedRequest[] {
    return this.requests.filter((r) => pattern.test(`${r.method} ${r.path}`));
  }

  /** Waits `ms` before an answer; `stop()` ends the wait (the answer then goes nowhere). */
  private hold(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.held.delete(timer);
        resolve();
      }, ms);
      this.held.set(timer, resolve);
    });
  }

  private createHttpServer(): Server {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    return server;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const time = () => Number(process.hrtime.bigint() - started) / 1e9;
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let status = 200;
    let body: unknown;
    try {
      const text = await readBody(req);
      const parsed = text === '' ? undefined : parseJson(text);
      this.requests.push({ method: req.method ?? 'GET', path: url.pathname + url.search, body: parsed });
      this.authorize(req);
      const result = this.route(req.method ?? 'GET', url, parsed);
      body = url.pathname === '/' ? result : { result, status: 'ok', time: time() };
    } catch (err) {
      status = err instanceof QdrantHttpError ? err.status : 500;
      body = { status: { error: err instanceof Error ? err.message : String(err) }, time: time() };
    }
    if (this.delayMs > 0) await this.hold(this.delayMs);
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private authorize(req: IncomingMessage): void {
    const { apiKey } = this.options;
    if (apiKey === undefined) return;
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (req.headers['api-key'] !== apiKey && bearer !== apiKey) {
      throw new QdrantHttpError(401, 'Must provide an API key or an Authorization bearer token');
    }
  }

  private route(method: string, url: URL, body: unknown): unknown {
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const wait = url.searchParams.get('wait') === 'true';
    if (parts.length === 0 && method === 'GET') return { title: 'qdrant - vector search engine', version: '1.20.0', commit: 'test-server' };
    if (parts[0] !== 'collections' || parts[1] === undefined) throw new QdrantHttpError(404, `Not found: ${url.pathname}`);
    const name = parts[1];
    const rest = parts.slice(2).join('/');
    const route = `${method} ${rest}`;
    switch (route) {
      case 'GET exists':
        return { exists: this.collections.has(name) };
      case 'GET ':
        return this.info(name);
      case 'PUT ':
        return this.createCollection(name, object(body, 'body'));
      case 'DELETE ':
        return this.collections.delete(name);
      case 'PUT index':
        return this.createIndex(name, object(body, 'body'), wait);
      case 'PUT points':
        return this.upsert(name, object(body, 'body'), wait);
      case 'POST points':
        return this.retrieve(name, object(body, 'body'));
      case 'POST points/query':
        return this.query(name, object(body, 'body'));
      case 'POST points/delete':
        return this.deletePoints(name, object(body, 'body'), wait);
      default:
        throw new QdrantHttpError(404, `Not found: ${method} ${url.pathname}`);
    }
  }

  private collection(name: string): StoredCollection {
    const found = this.collections.get(name);
    if (!found) throw notFound(name);
    return found;
  }

  private updated(wait: boolean) {
    return { operation_id: ++this.operationId, status: wait ? 'completed' : 'acknowledged' };
  }

  private createCollection(name: string, body: Record<string, unknown>): boolean {
    if (name.length > 255 || /[<>:"/\\|?*\0\u001f]/.test(name)) {
      throw new QdrantHttpError(422, `Validation error in path parameters: [name: collection name cannot contain forbidden characters]`);
    }
    if (this.collections.has(name)) throw new QdrantHttpError(409, `Wrong input: Collection \`${name}\` already exists!`);
    const vectors = object(body.vectors, 'vectors');
    const vectorsConfig =
      'size' in vectors ? vectorParams(vectors, 'vectors') : Object.fromEntries(Object.entries(vectors).map(([n, p]) => [n, vectorParams(p, `vectors.${n}`)]));
    this.collections.set(name, { vectorsConfig, quantization: quantization(body.quantization_config), points: new Map(), payloadSchema: new Map() });
    return true;
  }

  private info(name: string) {
    const c = this.collection(name);
    const points = [...c.points.values()];
    return {
      status: 'green',
      optimizer_status: 'ok',
      indexed_vectors_count: 0,
      points_count: c.points.size,
      segments_count: 1,
      config: {
        params: { vectors: c.vectorsConfig, shard_number: 1, replication_factor: 1, write_consistency_factor: 1, on_disk_payload: true },
        hnsw_config: { m: 16, ef_construct: 100, full_scan_threshold: 10000, max_indexing_threads: 0, on_disk: false },
        optimizer_config: {
          deleted_threshold: 0.2,
          vacuum_min_vector_number: 1000,
          default_segment_number: 0,
          max_segment_size: null,
          memmap_threshold: null,
          indexing_threshold: 10000,
          flush_interval_sec: 5,
          max_optimization_threads: null,
        },
        wal_config: { wal_capacity_mb: 32, wal_segments_ahead: 0 },
        quantization_config: c.quantization,
      },
      payload_schema: Object.fromEntries(
        [...c.payloadSchema].map(([field, type]) => [
          field,
          { data_type: type, params: { type }, points: points.filter((p) => p.payload[field] !== undefined).length },
        ]),
      ),
    };
  }

  private createIndex(name: string, body: Record<string, unknown>, wait: boolean) {
    const c = this.collection(name);
    const field = body.field_name;
    if (typeof field !== 'string' || field === '') throw wrongInput('field_name must be a non-empty string');
    const schema = typeof body.field_schema === 'string' ? body.field_schema : (body.field_schema as { type?: unknown } | undefined)?.type;
    if (!['keyword', 'integer', 'float', 'geo', 'text', 'bool', 'datetime', 'uuid'].includes(String(schema))) {
      throw new QdrantHttpError(400, `Format error in JSON body: unknown variant of field_schema: ${JSON.stringify(body.field_schema)}`);
    }
    c.payloadSchema.set(field, String(schema));
    return this.updated(wait);
  }

  private upsert(name: string, body: Record<string, unknown>, wait: boolean) {
    const c = this.collection(name);
    if (!Array.isArray(body.points)) throw new QdrantHttpError(400, 'Format error in JSON body: this test server takes only the `points` form of an upsert');
    // Qdrant checks the whole request before applying any of it.
    const version = this.operationId + 1;
    const points = body.points.map((raw) => {
      const p = object(raw, 'point');
      const vectors = this.vectorsOf(c, p.vector);
      const payload = p.payload === undefined || p.payload === null ? {} : (object(p.payload, 'payload') as Payload);
      return { id: pointIdOf(p.id), vectors, payload, version };
    });
    for (const point of points) c.points.set(String(point.id), point);
    return this.updated(wait);
  }

  private vectorsOf(c: StoredCollection, raw: unknown): Map<string, Float32Array> {
    const given: [string, unknown][] = Array.isArray(raw) ? [['', raw]] : Object.entries(object(raw ?? {}, 'vector'));
    return new Map(given.map(([vectorName, values]) => [vectorName, this.prepare(c, vectorName, values)]));
  }

  /** Checks a vector against its configuration and stores it as Qdrant does (32-bit floats, normalised for cosine). */
  private prepare(c: StoredCollection, vectorName: string, values: unknown): Float32Array {
    const params = paramsOf(c, vectorName);
    if (!Array.isArray(values) || !values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new QdrantHttpError(400, 'Format error in JSON body: a vector must be a list of numbers');
    }
    if (values.length !== params.size) throw wrongInput(`Vector dimension error: expected dim: ${params.size}, got ${values.length}`);
    const vector = Float32Array.from(values as number[]);
    if (params.distance === 'Cosine') {
      const length = Math.sqrt(vector.reduce((sum, v) => sum + v * v, 0));
      if (length > 0) for (let i = 0; i < vector.length; i++) vector[i] = vector[i]! / length;
    }
    return vector;
  }

  private retrieve(name: string, body: Record<string, unknown>) {
    const c = this.collection(name);
    if (!Array.isArray(body.ids)) throw new QdrantHttpError(400, 'Format error in JSON body: missing field `ids`');
    const withPayload = body.with_payload ?? true;
    const found = body.ids.map((id) => c.points.get(String(pointIdOf(id)))).filter((p): p is StoredPoint => p !== undefined);
    return found.map((p) => this.record(c, p, withPayload, body.with_vector ?? false));
  }

  private query(name: string, body: Record<string, unknown>) {
    const c = this.collection(name);
    const vectorName = typeof body.using === 'string' ? body.using : '';
    const raw = Array.isArray(body.query) ? body.query : (body.query as { nearest?: unknown } | undefined)?.nearest;
    if (raw === undefined) throw new QdrantHttpError(400, 'Format error in JSON body: this test server takes only a nearest-vector query');
    const params = paramsOf(c, vectorName);
    if (params.distance !== 'Cosine' && params.distance !== 'Dot')
      throw new QdrantHttpError(400, `this test server scores only Cosine and Dot, not ${params.distance}`);
    const query = this.prepare(c, vectorName, raw);
    const filter = body.filter === undefined || body.filter === null ? undefined : object(body.filter, 'filter');
    const threshold = typeof body.score_threshold === 'number' ? body.score_threshold : undefined;
    const limit = typeof body.limit === 'number' ? body.limit : 10;
    const offset = typeof body.offset === 'number' ? body.offset : 0;
    const scored = [...c.points.values()]
      .filter((p) => p.vectors.has(vectorName) && (filter === undefined || matchesFilter(filter, p)))
      .map((p) => ({ point: p, score: dot(query, p.vectors.get(vectorName)!) }))
      .filter(({ score }) => threshold === undefined || score >= threshold)
      .sort((a, b) => b.score - a.score)
      .slice(offset, offset + limit);
    return {
      points: scored.map(({ point, score }) => ({
        ...this.record(c, point, body.with_payload ?? false, body.with_vector ?? false),
        version: point.version,
        score,
      })),
    };
  }

  private deletePoints(name: string, body: Record<string, unknown>, wait: boolean) {
    const c = this.collection(name);
    if (Array.isArray(body.points)) {
      for (const id of body.points) c.points.delete(String(pointIdOf(id)));
    } else if (body.filter !== undefined) {
      const filter = object(body.filter, 'filter');
      for (const [id, point] of c.points) if (matchesFilter(filter, point)) c.points.delete(id);
    } else {
      throw new QdrantHttpError(400, 'Format error in JSON body: give `points` or `filter`');
    }
    return this.updated(wait);
  }

  private record(c: StoredCollection, p: StoredPoint, withPayload: unknown, withVector: unknown) {
    const out: Record<string, unknown> = { id: p.id };
    const payload = selectPayload(p.payload, withPayload);
    if (payload !== undefined) out.payload = payload;
    if (withVector === true) {
      const unnamed = 'size' in c.vectorsConfig;
      out.vector = unnamed ? Array.from(p.vectors.get('') ?? []) : Object.fromEntries([...p.vectors].map(([n, v]) => [n, Array.from(v)]));
    }
    return out;
  }
}

/** Starts a test Qdrant on a free port of 127.0.0.1. */
export function startQdrant(options: QdrantServerOptions = {}): Promise<QdrantTestServer> {
  return new QdrantTestServer(options).start();
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
    });
    req.on('end', () =>
      size > MAX_REQUEST_BYTES
        ? reject(new QdrantHttpError(413, `Payload error: JSON payload (${size} bytes) is larger than allowed (limit: ${MAX_REQUEST_BYTES} bytes).`))
        : resolve(Buffer.concat(chunks).toString('utf8')),
    );
    req.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new QdrantHttpError(400, `Format error in JSON body: ${(err as Error).message}`);
  }
}

function object(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new QdrantHttpError(400, `Format error in JSON body: ${what} must be an object`);
  return value as Record<string, unknown>;
}

function vectorParams(value: unknown, what: string): VectorParams {
  const { size, distance } = object(value, what);
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1)
    throw new QdrantHttpError(422, `Validation error in JSON body: [${what}.size: value ${String(size)} invalid, must be 1 or larger]`);
  if (!DISTANCES.includes(distance as Distance))
    throw new QdrantHttpError(400, `Format error in JSON body: unknown variant \`${String(distance)}\`, expected one of ${DISTANCES.join(', ')}`);
  return { size, distance: distance as Distance };
}

function quantization(value: unknown): Json {
  if (value === undefined || value === null) return null;
  const config = object(value, 'quantization_config');
  const [kind, ...others] = Object.keys(config);
  const params = object(config[kind!], `quantization_config.${kind}`);
  const valid =
    others.length === 0 &&
    ((kind === 'scalar' &&
      params.type === 'int8' &&
      (params.quantile === undefined || (typeof params.quantile === 'number' && params.quantile >= 0.5 && params.quantile <= 1))) ||
      (kind === 'product' && ['x4', 'x8', 'x16', 'x32', 'x64'].includes(String(params.compression))) ||
      kind === 'binary');
  if (!valid) throw new QdrantHttpError(400, `Format error in JSON body: invalid quantization_config ${JSON.stringify(value)}`);
  return config as Json;
}

function paramsOf(c: StoredCollection, vectorName: string): VectorParams {
  const params = 'size' in c.vectorsConfig ? (vectorName === '' ? (c.vectorsConfig as VectorParams) : undefined) : c.vectorsConfig[vectorName];
  if (!params) throw wrongInput(`Not existing vector name error: ${vectorName}`);
  return params;
}

/** An unsigned integer, or a UUID in any of Qdrant's spellings (answered hyphenated, lower case). */
function pointIdOf(raw: unknown): string | number {
  if (typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0) return raw;
  const uuid = typeof raw === 'string' ? UUID.exec(raw) : null;
  if (!uuid)
    throw new QdrantHttpError(
      400,
      `Format error in JSON body: value ${JSON.stringify(raw)} is not a valid point ID, valid values are either an unsigned integer or a UUID`,
    );
  return uuid.slice(1).join('-').toLowerCase();
}

/** Scores as Qdrant does: a dot product of 32-bit floats (cosine vectors were normalised on the way in). */
function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return Math.fround(sum);
}

function selectPayload(payload: Payload, withPayload: unknown): Payload | undefined {
  if (withPayload === false) return undefined;
  if (withPayload === true) return payload;
  if (Array.isArray(withPayload)) return Object.fromEntries(Object.entries(payload).filter(([k]) => withPayload.includes(k)));
  const selector = object(withPayload, 'with_payload') as { include?: string[]; exclude?: string[] };
  return Object.fromEntries(Object.entries(payload).filter(([k]) => (selector.include ? selector.include.includes(k) : !selector.exclude?.includes(k))));
}

const list = (value: unknown): unknown[] => (value === undefined || value === null ? [] : Array.isArray(value) ? value : [value]);

function matchesFilter(filter: Record<string, unknown>, point: StoredPoint): boolean {
  const must = list(filter.must);
  const should = list(filter.should);
  const mustNot = list(filter.must_not);
  return (
    must.every((c) => matchesCondition(object(c, 'condition'), point)) &&
    (should.length === 0 || should.some((c) => matchesCondition(object(c, 'condition'), point))) &&
    !mustNot.some((c) => matchesCondition(object(c, 'condition'), point))
  );
}

function matchesCondition(condition: Record<string, unknown>, point: StoredPoint): boolean {
  if ('must' in condition || 'should' in condition || 'must_not' in condition) return matchesFilter(condition, point);
  if ('has_id' in condition) return list(condition.has_id).some((id) => pointIdOf(id) === point.id);
  if ('is_empty' in condition) {
    const value = point.payload[String(object(condition.is_empty, 'is_empty').key)];
    return value === undefined || value === null || (Array.isArray(value) && value.length === 0);
  }
  if ('is_null' in condition) return point.payload[String(object(condition.is_null, 'is_null').key)] === null;
  if (typeof condition.key !== 'string') throw new QdrantHttpError(400, `Format error in JSON body: unknown condition ${JSON.stringify(condition)}`);
  // A field holding a list matches when any of its values does; a missing field matches nothing.
  const values = list(point.payload[condition.key]);
  if (condition.match !== undefined) {
    const match = object(condition.match, 'match');
    if ('value' in match) return values.some((v) => v === match.value);
    if ('any' in match) return values.some((v) => list(match.any).includes(v));
    if ('except' in match) return values.length > 0 && values.some((v) => !list(match.except).includes(v));
    throw new QdrantHttpError(400, `Format error in JSON body: unknown match ${JSON.stringify(match)}`);
  }
  if (condition.range !== undefined) {
    const { gt, gte, lt, lte } = object(condition.range, 'range') as Record<string, number | null | undefined>;
    return values.some(
      (v) => typeof v === 'number' && (gt == null || v > gt) && (gte == null || v >= gte) && (lt == null || v < lt) && (lte == null || v <= lte),
    );
  }
  throw new QdrantHttpError(400, `Format error in JSON body: this test server does not implement ${JSON.stringify(condition)}`);
}
