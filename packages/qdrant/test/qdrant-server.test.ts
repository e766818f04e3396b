// The test server answers the official client as Qdrant documents it; these checks keep it honest,
// since every other test of this package trusts it.
import { QdrantClient } from '@qdrant/js-client-rest';
import { startQdrant, type QdrantTestServer } from './qdrant-server';

let server: QdrantTestServer;
let client: QdrantClient;

beforeAll(async () => {
  server = await startQdrant();
  client = new QdrantClient({ url: server.url, checkCompatibility: false });
  await client.createCollection('docs', { vectors: { v: { size: 2, distance: 'Cosine' } } });
  await client.upsert('docs', {
    wait: true,
    points: [
      { id: 1, vector: { v: [3, 4] }, payload: { color: 'red', n: 5 } },
      { id: '550e8400-e29b-41d4-a716-446655440000', vector: { v: [0, 2] }, payload: { color: ['blue', 'green'], n: 10 } },
      { id: 3, vector: {}, payload: { color: 'red' } },
    ],
  });
});
afterAll(() => server.stop());

/** What the client throws: the fetcher's ApiError with Qdrant's status and body. */
async function failure(promise: Promise<unknown>): Promise<{ status: number; data: unknown }> {
  const err = (await promise.catch((e: unknown) => e)) as { status: number; data: unknown };
  expect(err).toBeInstanceOf(Error);
  return { status: err.status, data: err.data };
}

it('answers the version at /, and collections with their config and payload schema', async () => {
  expect(await client.versionInfo()).toMatchObject({ title: 'qdrant - vector search engine', version: expect.any(String) });
  expect(await client.collectionExists('docs')).toEqual({ exists: true });
  expect(await client.collectionExists('nope')).toEqual({ exists: false });
  await client.createPayloadIndex('docs', { field_name: 'color', field_schema: 'keyword', wait: true });
  const info = await client.getCollection('docs');
  expect(info.config.params.vectors).toEqual({ v: { size: 2, distance: 'Cosine' } });
  expect(info.points_count).toBe(3);
  expect(info.payload_schema.color).toMatchObject({ data_type: 'keyword', points: 3 });
});

it('normalises cosine vectors on write and scores by their dot product, dropping scores under score_threshold', async () => {
  const [stored] = await client.retrieve('docs', { ids: [1], with_vector: true });
  expect(stored!.vector).toEqual({ v: [expect.closeTo(0.6, 6), expect.closeTo(0.8, 6)] });
  const { points } = await client.query('docs', { query: [1, 0], using: 'v', with_payload: true });
  expect(points.map((p) => [p.id, p.score])).toEqual([
    [1, Math.fround(0.6)],
    ['550e8400-e29b-41d4-a716-446655440000', 0],
  ]); // point 3 has no `v`
  expect(points[0]!.payload).toEqual({ color: 'red', n: 5 });
  const above = await client.query('docs', { query: [1, 0], using: 'v', score_threshold: 0.5 });
  expect(above.points.map((p) => p.id)).toEqual([1]);
  expect(above.points[0]!.payload).toBeUndefined(); // with_payload defaults to false for queries
});

it('filters with must, should and must_not over match, range and is_empty, a list matching when any value does', async () => {
  const ids = async (filter: object) => (await client.query('docs', { query: [1, 1], using: 'v', filter, limit: 10 })).points.map((p) => p.id).sort();
  expect(await ids({ must: [{ key: 'color', match: { value: 'blue' } }] })).toEqual(['550e8400-e29b-41d4-a716-446655440000']);
  expect(await ids({ must: [{ key: 'n', range: { gt: 5 } }] })).toEqual(['550e8400-e29b-41d4-a716-446655440000']);
  expect(await ids({ must: [{ key: 'n', range: { lte: 5 } }] })).toEqual([1]);
  expect(await ids({ must_not: [{ key: 'color', match: { value: 'red' } }] })).toEqual(['550e8400-e29b-41d4-a716-446655440000']);
  expect(await ids({ should: [{ is_empty: { key: 'missing' } }, { key: 'n', range: { gt: 100 } }] })).toEqual([1, '550e8400-e29b-41d4-a716-446655440000']);
  expect(await ids({ must: [{ key: 'missing', range: { lte: 100 } }] })).toEqual([]);
});

it('deletes points by id and by filter', async () => {
  await client.createCollection('deletions', { vectors: { size: 1, distance: 'Dot' } });
  await client.upsert('deletions', { wait: true, points: [1, 2, 3].map((id) => ({ id, vector: [id], payload: { n: id } })) });
  await client.delete('deletions', { wait: true, points: [1] });
  await client.delete('deletions', { wait: true, filter: { must: [{ key: 'n', range: { gte: 3 } }] } });
  expect((await client.retrieve('deletions', { ids: [1, 2, 3] })).map((p) => p.id)).toEqual([2]);
  expect(await client.deleteCollection('deletions')).toBe(true);
});

it("errors as Qdrant does: { status: { error } } with Qdrant's codes", async () => {
  expect(await failure(client.getCollection('nope'))).toEqual({
    status: 404,
    data: { status: { error: "Not found: Collection `nope` doesn't exist!" }, time: expect.any(Number) },
  });
  expect(await failure(client.createCollection('docs', { vectors: { size: 2, distance: 'Cosine' } }))).toMatchObject({
    status: 409,
    data: { status: { error: 'Wrong input: Collection `docs` already exists!' } },
  });
  expect(await failure(client.upsert('docs', { points: [{ id: 9, vector: { v: [1, 2, 3] } }] }))).toMatchObject({
    status: 400,
    data: { status: { error: 'Wrong input: Vector dimension error: expected dim: 2, got 3' } },
  });
  expect(await failure(client.query('docs', { query: [1, 2, 3], using: 'v' }))).toMatchObject({
    status: 400,
    data: { status: { error: 'Wrong input: Vector dimension error: expected dim: 2, got 3' } },
  });
  expect(await failure(client.query('docs', { query: [1, 2] }))).toMatchObject({
    status: 400,
    data: { status: { error: 'Wrong input: Not existing vector name error: ' } },
  });
  expect(await failure(client.upsert('docs', { points: [{ id: 'not-an-id', vector: {} }] }))).toMatchObject({ status: 400 });
  expect(await client.retrieve('docs', { ids: [9] })).toEqual([]); // a rejected upsert wrote nothing
});
