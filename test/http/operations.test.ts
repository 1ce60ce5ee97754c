import { Service } from 'libretto';
import { route } from 'libretto/http';
import { describe, expect, it } from 'vitest';
import { startHttp } from './http-harness.js';

class Database extends Service {
  healthy = true;
  override checkHealth(): void {
    if (!this.healthy) throw new Error('connection refused');
  }
}

describe('health and readiness', () => {
  it('/health answers while the process lives; /ready reflects every service', async () => {
    const db = new Database('Database');
    const s = await startHttp([], { services: [db] });
    expect((await s.json('/health')).body).toEqual({
      success: true,
      data: { status: 'ok' },
      error: null,
    });
    const ready = await s.json('/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.data).toMatchObject({ status: 'ready' });
    db.healthy = false;
    const notReady = await s.json('/ready');
    expect(notReady.status).toBe(503);
    expect(notReady.body.error).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      details: expect.arrayContaining([
        expect.objectContaining({ name: 'Database', healthy: false, reason: 'connection refused' }),
      ]),
    });
    await s.stop();
  });
});

describe('graceful stop (APP-5)', () => {
  it('lets a request in flight finish, then refuses new connections', async () => {
    let release: () => void = () => undefined;
    const s = await startHttp([
      route.get(
        '/slow',
        {},
        () =>
          new Promise<string>((resolve) => {
            release = () => resolve('done');
          }),
      ),
    ]);
    const inFlight = s.json('/slow');
    await new Promise((r) => setTimeout(r, 50));
    const stopping = s.stop();
    await new Promise((r) => setTimeout(r, 50));
    release();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(response.body.data).toBe('done');
    await stopping;
    await expect(fetch(`${s.url}/health`)).rejects.toThrow();
  });
});
