import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserServer } from '../../../electron/main/browser-server.js';
import type { BrowserServer } from '../../../electron/main/browser-server.js';
import { createFakeBackend } from '../../support/fake-backend.js';

let dir: string;
let server: BrowserServer;
const backend = createFakeBackend();

/** Raw HTTP (fetch would not let us forge the Host header). */
function call(path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spsetup-ui-'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>wizard</title>');
  server = await startBrowserServer({ backend, port: 0, host: '127.0.0.1', rendererDir: dir });
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('browser mode server', () => {
  it('listens on loopback and puts a long random token in the URL', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{40,}$/);
  });

  it('refuses to listen on a non-loopback address', async () => {
    await expect(startBrowserServer({ backend, host: '0.0.0.0' })).rejects.toThrow(/loopback/);
  });

  it('serves the page with the strict CSP', async () => {
    const r = await call('/');
    expect(r.status).toBe(200);
    expect(r.body).toContain('wizard');
    expect(String(r.headers['content-security-policy'])).toContain("default-src 'self'");
    expect(String(r.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
  });

  it('does not serve files outside the renderer', async () => {
    const r = await call('/..%2f..%2fetc%2fpasswd');
    expect(r.status).toBe(404);
  });

  it('refuses API calls without the token, or with a wrong one, and calls nothing', async () => {
    const before = backend.calls.length;
    const none = await call('/api/environment', { method: 'POST' });
    const wrong = await call('/api/environment', { method: 'POST', headers: { 'x-spsetup-token': 'x'.repeat(server.token.length) } });
    const inQuery = await call(`/api/environment?token=${server.token}`, { method: 'POST' });
    expect([none.status, wrong.status, inQuery.status]).toEqual([401, 401, 401]);
    expect(backend.calls.length).toBe(before);
  });

  it('refuses a foreign Host header (DNS rebinding) even with the token', async () => {
    const r = await call('/api/environment', { method: 'POST', headers: { host: `evil.example:${server.port}`, 'x-spsetup-token': server.token } });
    expect(r.status).toBe(421);
    const page = await call('/', { headers: { host: 'evil.example' } });
    expect(page.status).toBe(421);
  });

  it('refuses a cross-origin request', async () => {
    const r = await call('/api/environment', { method: 'POST', headers: { origin: 'https://evil.example', 'x-spsetup-token': server.token } });
    expect(r.status).toBe(403);
  });

  it('answers a valid call and validates payloads with the same schemas', async () => {
    const ok = await call('/api/environment', { method: 'POST', headers: { 'x-spsetup-token': server.token } });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ ok: true, value: { platform: 'linux' } });
    const bad = await call('/api/plan', { method: 'POST', headers: { 'x-spsetup-token': server.token, 'content-type': 'application/json' }, body: '{"settings":5}' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
  });

  it('streams progress events over Server-Sent Events', async () => {
    const frames: string[] = [];
    const stream = request({ host: '127.0.0.1', port: server.port, path: '/api/events', headers: { 'x-spsetup-token': server.token } });
    const connected = new Promise<void>((resolve) =>
      stream.on('response', (res) => {
        res.setEncoding('utf8');
        res.on('data', (c: string) => frames.push(c));
        resolve();
      }),
    );
    stream.end();
    await connected;
    const r = await call('/api/apply', { method: 'POST', headers: { 'x-spsetup-token': server.token }, body: JSON.stringify({ planId: 'p', settings: { product: 'reference' } }) });
    expect(JSON.parse(r.body)).toMatchObject({ ok: true, value: { outcome: 'done' } });
    await new Promise((res) => setTimeout(res, 50));
    stream.destroy();
    const text = frames.join('');
    expect(text).toContain('"kind":"run-started"');
    expect(text).toContain('"kind":"run-finished"');
  });
});
