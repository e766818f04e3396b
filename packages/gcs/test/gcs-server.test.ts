import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { Storage, type File, type GetFilesOptions } from '@google-cloud/storage';
import { startGcsServer, type GcsServer } from './gcs-server';

// The test server must answer as Cloud Storage's JSON API does for every call the backend makes, or the
// backend's tests prove nothing. Each case drives it with the official client (and raw HTTP where the
// wire shape itself is the point) and checks what Google documents.

let server: GcsServer;
let storage: Storage;
const bucket = () => storage.bucket('shapes');

beforeAll(async () => {
  server = await startGcsServer({ buckets: ['shapes'] });
  storage = new Storage({ apiEndpoint: server.url, retryOptions: { autoRetry: false } });
});
afterAll(() => server.close());

const raw = async (path: string, init?: RequestInit) => {
  const res = await fetch(`${server.url}${path}`, init);
  return {
    status: res.status,
    headers: res.headers,
    body: res.status === 204 ? undefined : ((await res.json().catch(() => undefined)) as Record<string, any>),
  };
};

describe('the GCS test server', () => {
  it('stores a multipart upload and answers with the object resource, checksums computed from the bytes', async () => {
    const data = Buffer.from('123456789');
    // The client checks the answer's crc32c against what it sent, and deletes the object and throws on a mismatch.
    await bucket()
      .file('dir/nine')
      .save(data, { resumable: false, metadata: { contentType: 'text/plain', metadata: { owner: 'tests' } } });
    const upload = server.requests.at(-1)!;
    expect(upload).toMatchObject({ method: 'POST', path: '/upload/storage/v1/b/shapes/o', query: { uploadType: 'multipart', name: 'dir/nine' } });

    const { status, body } = await raw('/storage/v1/b/shapes/o/dir%2Fnine');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      kind: 'storage#object',
      name: 'dir/nine',
      bucket: 'shapes',
      size: '9',
      contentType: 'text/plain',
      metadata: { owner: 'tests' },
      // CRC32C("123456789") is 0xE3069283, the check value of the Castagnoli polynomial, big-endian in base64.
      crc32c: Buffer.from([0xe3, 0x06, 0x92, 0x83]).toString('base64'),
      md5Hash: createHash('md5').update(data).digest('base64'),
      storageClass: 'STANDARD',
      metageneration: '1',
    });
    expect(body!.generation).toMatch(/^\d+$/);
    expect(body!.id).toBe(`shapes/dir/nine/${body!.generation}`);
    expect(new Date(body!.timeCreated).toISOString()).toBe(body!.timeCreated);
    expect(body!.updated).toBe(body!.timeCreated);
  });

  it('downloads with alt=media: the bytes, and the object metadata as x-goog-* headers of the same generation', async () => {
    const text = 'añ€😀 '.repeat(1000);
    await bucket()
      .file('media')
      .save(Buffer.from(text), { resumable: false, metadata: { metadata: { k: 'v' } } });
    const [meta] = await bucket().file('media').getMetadata();
    const res = await fetch(`${server.url}/storage/v1/b/shapes/o/media?alt=media`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(text);
    expect(res.headers.get('x-goog-generation')).toBe(meta.generation);
    expect(res.headers.get('x-goog-metageneration')).toBe('1');
    expect(res.headers.get('x-goog-meta-k')).toBe('v');
    expect(res.headers.get('x-goog-hash')).toBe(`crc32c=${meta.crc32c},md5=${meta.md5Hash}`);
    expect(res.headers.get('x-goog-stored-content-encoding')).toBe('identity');
    expect(res.headers.get('x-goog-stored-content-length')).toBe(String(Buffer.byteLength(text)));
    // The client validates the download against x-goog-hash.
    const [downloaded] = await bucket().file('media').download();
    expect(downloaded.toString('utf8')).toBe(text);
  });

  it("answers a missing object, bucket or route with 404 in Google's error shape", async () => {
    for (const path of [
      '/storage/v1/b/shapes/o/nothing',
      '/storage/v1/b/shapes/o/nothing?alt=media',
      '/storage/v1/b/no-bucket/o/x',
      '/storage/v1/b/no-bucket/o',
    ]) {
      const { status, body } = await raw(path);
      expect(status).toBe(404);
      expect(body).toEqual({
        error: { code: 404, message: expect.any(String), errors: [{ message: body!.error.message, domain: 'global', reason: 'notFound' }] },
      });
    }
    expect((await raw('/storage/v1/b/shapes/o/nothing')).body!.error.message).toBe('No such object: shapes/nothing');
    await expect(bucket().file('nothing').download()).rejects.toMatchObject({ code: 404 });
    await expect(bucket().file('nothing').getMetadata()).rejects.toMatchObject({ code: 404 });
  });

  it('deletes with 204 and no body; a second delete is a 404', async () => {
    await bucket().file('doomed').save('x', { resumable: false });
    const gone = await raw('/storage/v1/b/shapes/o/doomed', { method: 'DELETE' });
    expect(gone).toMatchObject({ status: 204, body: undefined });
    expect((await raw('/storage/v1/b/shapes/o/doomed', { method: 'DELETE' })).status).toBe(404);
    await expect(bucket().file('doomed').delete()).rejects.toMatchObject({ code: 404 });
    await bucket().file('doomed').delete({ ignoreNotFound: true });
  });

  it('lists by prefix in name order, a page at a time with nextPageToken, and omits items when there are none', async () => {
    for (const name of ['list/c', 'list/a', 'list/b', 'other/z']) await bucket().file(name).save(name, { resumable: false });
    const first = await raw('/storage/v1/b/shapes/o?prefix=list%2F&maxResults=2');
    expect(first.body).toMatchObject({ kind: 'storage#objects', nextPageToken: expect.any(String) });
    expect(first.body!.items.map((i: { name: string }) => i.name)).toEqual(['list/a', 'list/b']);
    const second = await raw(`/storage/v1/b/shapes/o?prefix=list%2F&maxResults=2&pageToken=${first.body!.nextPageToken}`);
    expect(second.body!.items.map((i: { name: string }) => i.name)).toEqual(['list/c']);
    expect(second.body!.nextPageToken).toBeUndefined();
    expect((await raw('/storage/v1/b/shapes/o?prefix=none%2F')).body).toEqual({ kind: 'storage#objects' });
    // The client reads the token as its next query.
    const names: string[] = [];
    let query: GetFilesOptions | null = { prefix: 'list/', maxResults: 1, autoPaginate: false };
    while (query) {
      const [files, next]: [File[], GetFilesOptions | null] = (await bucket().getFiles(query)) as never;
      names.push(...files.map((f) => f.name));
      query = next;
    }
    expect(names).toEqual(['list/a', 'list/b', 'list/c']);
  });

  it('gives every write a new, larger generation, serves an old one no more, and honours ifGenerationMatch', async () => {
    await bucket().file('gen').save('one', { resumable: false });
    const [first] = await bucket().file('gen').getMetadata();
    await bucket().file('gen').save('two', { resumable: false });
    const [second] = await bucket().file('gen').getMetadata();
    expect(BigInt(second.generation!)).toBeGreaterThan(BigInt(first.generation!));
    await expect(bucket().file('gen', { generation: first.generation }).download()).rejects.toMatchObject({ code: 404 });
    expect((await bucket().file('gen', { generation: second.generation }).download())[0].toString()).toBe('two');

    await expect(
      bucket()
        .file('gen')
        .save('three', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } }),
    ).rejects.toMatchObject({ code: 412 });
    await expect(
      bucket()
        .file('gen')
        .save('three', { resumable: false, preconditionOpts: { ifGenerationMatch: first.generation! } }),
    ).rejects.toMatchObject({ code: 412 });
    await bucket()
      .file('gen')
      .save('three', { resumable: false, preconditionOpts: { ifGenerationMatch: second.generation! } });
    await bucket()
      .file('fresh')
      .save('new', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
    expect(server.object('shapes', 'gen')!.data.toString()).toBe('three');
  });

  it('creates nothing from an upload whose body is cut off', async () => {
    await new Promise<void>((resolve) => {
      const boundary = 'cut-boundary';
      const req = request(`${server.url}/upload/storage/v1/b/shapes/o?uploadType=multipart&name=cut`, {
        method: 'POST',
        headers: { 'content-type': `multipart/related; boundary=${boundary}` },
      });
      req.on('error', () => resolve());
      req.write(`--${boundary}\r\nContent-Type: application/json\r\n\r\n{}\r\n--${boundary}\r\nContent-Type: text/plain\r\n\r\nhalf of the bo`);
      setTimeout(() => req.destroy(), 50);
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.object('shapes', 'cut')).toBeUndefined();
    expect((await raw('/storage/v1/b/shapes/o/cut')).status).toBe(404);
  });

  it('refuses upload types it does not implement rather than storing something else', async () => {
    const { status, body } = await raw('/upload/storage/v1/b/shapes/o?uploadType=resumable&name=r', { method: 'POST', body: '{}' });
    expect(status).toBe(400);
    expect(body!.error.message).toMatch(/multipart only/);
  });

  it('can cut a download short, which the client reports as an error rather than returning part of it', async () => {
    await bucket().file('long').save('x'.repeat(100_000), { resumable: false });
    server.downloadFault = 'cut';
    try {
      await expect(bucket().file('long').download()).rejects.toBeDefined();
    } finally {
      server.downloadFault = undefined;
    }
  });
});
