/**
 * Electron composition root: one locked-down window, one ipcMain handler per contract method
 * (sender and payload validated), progress events on one channel, one top-level error handler.
 */
import { app, BrowserWindow, dialog, ipcMain, net, protocol, session } from 'electron';
import type { WebContents } from 'electron';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { channelOf, EVENTS_CHANNEL, INSTALLER_METHODS } from '../shared/ipc.js';
import type { InstallerBackend } from '../shared/ipc.js';
import { toErrorInfo } from '../shared/errors.js';
import { loadBackend } from './backend-factory.js';
import { dispatchCall } from './dispatch.js';
import { startElevatedAgent } from './elevation.js';
import { routeBackend } from './routed-backend.js';
import { APP_INDEX_URL, APP_SCHEME, APP_SCHEME_PRIVILEGES, lockDownContents, lockDownSession, resolveAppRequest } from './hardening.js';
import { CONTENT_SECURITY_POLICY } from './security.js';

const here = dirname(fileURLToPath(import.meta.url));
const rendererDir = join(here, '..', '..', 'renderer');
const rendererIndex = join(rendererDir, 'index.html');
const preloadPath = join(here, '..', 'preload', 'index.cjs');

function logLine(message: string): void {
  try {
    const dir = app.getPath('logs');
    mkdirSync(dir, { recursive: true });
    appendFileSync(join(dir, 'main.log'), `${new Date().toISOString()} ${message}\n`, { mode: 0o600 });
  } catch {
    // Logging must never be the reason the app dies.
  }
}

/** The one top-level handler: log it, tell the user, keep secrets out (messages only). */
function reportFatal(kind: string, err: unknown): void {
  const info = toErrorInfo(err);
  logLine(`${kind}: ${info.message}${err instanceof Error && err.stack ? `\n${err.stack}` : ''}`);
  if (app.isReady()) dialog.showErrorBox('Shared Persistence Setup', `${info.message}\n\n${info.fix ?? ''}`.trim());
}
process.on('uncaughtException', (err) => reportFatal('uncaughtException', err));
process.on('unhandledRejection', (err) => reportFatal('unhandledRejection', err));

function isElevated(): boolean {
  return process.platform === 'win32' ? false : process.getuid?.() === 0;
}

async function createBackend(): Promise<InstallerBackend> {
  const local = await loadBackend();
  const env = await local.environment().catch(() => undefined);
  const elevated = env?.elevated ?? isElevated();
  return routeBackend(local, elevated, async () => {
    const client = await startElevatedAgent({
      execPath: process.execPath,
      cliPath: join(app.getAppPath(), 'bin', 'spsetup.js'),
      elevated,
      env: { ELECTRON_RUN_AS_NODE: '1' },
    });
    app.once('will-quit', () => client.close());
    return client.backend;
  });
}

function registerHandlers(backendReady: Promise<InstallerBackend>, target: () => WebContents | undefined): void {
  for (const method of INSTALLER_METHODS) {
    ipcMain.handle(channelOf(method), async (event, payload: unknown) => {
      let backend: InstallerBackend;
      try {
        backend = await backendReady;
      } catch (err) {
        return { ok: false, error: toErrorInfo(err) };
      }
      return dispatchCall(backend, method, event.senderFrame?.url, rendererIndex, payload, (e) => {
        const wc = target();
        if (wc && !wc.isDestroyed()) wc.send(EVENTS_CHANNEL, e);
      });
    });
  }
}

// app:// must be registered before the app is ready.
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { ...APP_SCHEME_PRIVILEGES } }]);

async function main(): Promise<void> {
  app.enableSandbox();
  await app.whenReady();
  // The page comes from app://, confined to the renderer folder, never from file://.
  protocol.handle(APP_SCHEME, (request) => {
    const file = resolveAppRequest(request.url, rendererDir);
    return file ? net.fetch(pathToFileURL(file).href) : new Response('not found', { status: 404 });
  });
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  lockDownSession(session.defaultSession);

  // Handlers are registered before the window exists, so they reach it through this holder.
  const shown: { win?: BrowserWindow } = {};
  const backendReady = createBackend();
  backendReady.catch((err: unknown) => logLine(`backend: ${toErrorInfo(err).message}`));
  registerHandlers(backendReady, () => shown.win?.webContents);

  const win = new BrowserWindow({
    width: 1100,
    height: 760,
    minWidth: 860,
    minHeight: 600,
    title: 'Shared Persistence Setup',
    show: false,
    webPreferences: { sandbox: true, contextIsolation: true, nodeIntegration: false, webSecurity: true, preload: preloadPath },
  });
  shown.win = win;
  lockDownContents(win.webContents);
  win.once('ready-to-show', () => win.show());
  await win.loadURL(APP_INDEX_URL);
  app.on('window-all-closed', () => app.quit());
}

main().catch((err: unknown) => {
  reportFatal('startup', err);
  app.exit(1);
});
