/**
 * One wizard node of the end-to-end cluster: `spsetup ui` and a Chromium, both inside the node's
 * own network namespace (its 127.0.0.1 and its fixed product ports are its own), the CLI run there
 * too, and the node's cleanup (uninstall, supervisor, processes, folders).
 */
import { chromium } from '@playwright/test';
import type { Browser, Page } from '@playwright/test';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CHROMIUM_ARGS } from '../../playwright.config.js';
import { cleanupNode, runCli, writeSettings } from '../support/cluster.js';
import type { CliOut, NodeDirs } from '../support/cluster.js';
import type { SettingsInput } from '../../electron/shared/settings.js';
import { ROOT } from './helpers.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

export interface NodeSpec {
  /** Namespace the node lives in (made by the caller, attached to the hub). */
  readonly netns: string;
  /** Its address on the hub (no prefix length): also its host name. */
  readonly address: string;
  /** Its own folder; everything it installs goes below it (the share excepted). */
  readonly root: string;
  readonly shareRoot: string;
  readonly serviceUser: string;
  readonly ipRanges: readonly string[];
}

export interface WizardNode {
  readonly spec: NodeSpec;
  readonly dirs: NodeDirs;
  /** The wizard's address, with its one-time token. */
  readonly url: string;
  /** Output of the ui process so far (to grep for secrets). */
  output(): string;
  newPage(): Promise<Page>;
  /** `spsetup ARGS` inside the node's namespace. */
  cli(args: readonly string[], timeoutMs?: number): Promise<CliOut>;
  /** Writes settings (0600: they hold passwords) and returns the file. */
  settingsFile(settings: SettingsInput, name: string): Promise<string>;
  /** Stops the browser and the wizard server. */
  stop(): Promise<void>;
}

/** The wizard defaults of a node: every folder inside its root, the service user, the listener's ranges. */
function defaultsOf(spec: NodeSpec, dirs: NodeDirs): Record<string, unknown> {
  return {
    stateDir: dirs.stateDir,
    runitDir: dirs.runitDir,
    installDir: dirs.installDir,
    dataDir: dirs.dataDir,
    shareRoot: spec.shareRoot,
    serviceUser: spec.serviceUser,
    ipRanges: spec.ipRanges,
  };
}

/** Starts `spsetup ui --port 0` in the namespace; resolves with its URL once it prints it. */
function startUi(spec: NodeSpec, defaultsFile: string): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn('ip', ['netns', 'exec', spec.netns, process.execPath, join(ROOT, 'bin', 'spsetup.js'), 'ui', '--port', '0', '--defaults', defaultsFile], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const output = (): string => text;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`spsetup ui did not print its address within 20 s:\n${text}`));
    }, 20_000);
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('utf8');
      const url = /http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/.exec(text)?.[0];
      if (url) {
        clearTimeout(timer);
        resolve({ child, url, output });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`spsetup ui exited (${code}) before printing its address:\n${text}`));
    });
  });
}

/** Chromium inside the namespace: Playwright talks to it over a pipe, which `ip netns exec` keeps. */
async function launchChromium(spec: NodeSpec, dir: string): Promise<Browser> {
  const wrapper = join(dir, 'chromium-in-netns.sh');
  await writeFile(wrapper, `#!/bin/sh\nexec ip netns exec ${spec.netns} ${CHROMIUM} "$@"\n`, { mode: 0o755 });
  await chmod(wrapper, 0o755);
  return chromium.launch({ executablePath: wrapper, args: CHROMIUM_ARGS, headless: true, timeout: 30_000 });
}

/** Starts a node's wizard (server and browser) inside its namespace. */
export async function startWizardNode(spec: NodeSpec): Promise<WizardNode> {
  const dirs: NodeDirs = {
    root: spec.root,
    installDir: join(spec.root, 'opt'),
    dataDir: join(spec.root, 'data'),
    stateDir: join(spec.root, 'state'),
    runitDir: join(spec.root, 'service'),
    settingsFile: join(spec.root, 'settings.json'),
  };
  await mkdir(spec.root, { recursive: true, mode: 0o755 });
  const defaultsFile = join(spec.root, 'defaults.json');
  await writeFile(defaultsFile, JSON.stringify(defaultsOf(spec, dirs), null, 2), { mode: 0o644 });
  const ui = await startUi(spec, defaultsFile);
  let browser: Browser;
  try {
    browser = await launchChromium(spec, spec.root);
  } catch (err) {
    ui.child.kill('SIGKILL');
    throw err;
  }
  return {
    spec,
    dirs,
    url: ui.url,
    output: ui.output,
    async newPage() {
      const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
      const page = await context.newPage();
      page.setDefaultTimeout(30_000);
      return page;
    },
    cli: (args, timeoutMs = 120_000) => runCli(args, { netns: spec.netns, timeoutMs }),
    settingsFile: (settings, name) => writeSettings(join(spec.root, `${name}.json`), settings),
    async stop() {
      await browser.close().catch(() => undefined);
      if (ui.child.exitCode === null) {
        const exited = new Promise<void>((r) => ui.child.once('exit', () => r()));
        ui.child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
        ui.child.kill('SIGKILL');
      }
    },
  };
}

/**
 * Undoes a node: `spsetup uninstall --remove-data` with the settings its wizard sent (when it
 * installed), then its supervisor and every process under its root; its root folder is removed.
 */
export async function removeWizardNode(node: WizardNode, installed: SettingsInput | undefined): Promise<string[]> {
  const problems: string[] = [];
  await node.stop();
  if (installed) {
    const file = await node.settingsFile(installed, 'uninstall-settings');
    const r = await node.cli(['uninstall', '--settings', file, '--remove-data'], 120_000);
    if (r.code !== 0) problems.push(`uninstall on ${node.spec.address} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  }
  await cleanupNode(node.dirs);
  return problems;
}
