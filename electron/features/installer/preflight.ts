/**
 * Preflight: every check runs before any change, all at once, each bounded in time, each with a
 * message and the fix. Install refuses to start while one fails.
 */
import { dirname } from 'node:path';
import { toErrorInfo, UserError } from '../../shared/errors.js';
import type { CheckOutcome } from '../../shared/ipc.js';
import { MAX_NODES, type Settings } from '../../shared/settings.js';
import type { System } from '../../system/system.js';
import type { NodeFacts } from './facts.js';
import { neededPorts } from './facts.js';
import type { NodeLayout } from './layout.js';
import type { Plan } from '../../shared/plan.js';
import { checkSpace, planSpaceNeeds } from './space-check.js';
import { repositoryCa } from '../tls/plan-tls.js';
import { checkCentralPorts } from './central-ports.js';

const CHECK_TIMEOUT_MS = 15_000;

export interface PreflightInput {
  readonly settings: Settings;
  readonly layout: NodeLayout;
  readonly facts: NodeFacts;
  readonly secrets: ReadonlyMap<string, string>;
}

type Check = { id: string; title: string; run: () => Promise<string> };

/** Runs a check with a time bound; a thrown UserError becomes a failed outcome with its fix. */
async function runCheck(check: Check): Promise<CheckOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UserError('timeout', `${check.title}: no answer within ${CHECK_TIMEOUT_MS / 1000} s.`, 'Check the network and the machine named, then try again.')), CHECK_TIMEOUT_MS);
  });
  try {
    const message = await Promise.race([check.run(), timeout]);
    return { id: check.id, title: check.title, ok: true, message };
  } catch (err) {
    const info = toErrorInfo(err);
    return info.fix ? { id: check.id, title: check.title, ok: false, message: info.message, fix: info.fix } : { id: check.id, title: check.title, ok: false, message: info.message };
  } finally {
    clearTimeout(timer);
  }
}

const fail = (message: string, fix: string): never => {
  throw new UserError('preflight-failed', message, fix);
};

/** The nearest folder that exists at or above `path`. */
async function nearestExisting(sys: System, path: string): Promise<string> {
  let p = path;
  while (!(await sys.files.stat(p)) && dirname(p) !== p) p = dirname(p);
  return p;
}

/** Free space and inodes on every file system the plan writes to, against what its changing steps need there. */
export async function checkPlanSpace(sys: System, plan: Plan, layout: NodeLayout): Promise<CheckOutcome> {
  return runCheck({ id: 'space', title: 'Free space and inodes', run: async () => checkSpace(sys, await planSpaceNeeds(plan, layout)) });
}

/** The checks for these settings, all run in parallel. */
export async function runPreflight(sys: System, input: PreflightInput): Promise<CheckOutcome[]> {
  return Promise.all(preflightChecks(sys, input).map(runCheck));
}

/** Test connection: reach the repository database with the node's credentials (used by the wizard too). */
export async function checkDatabase(sys: System, settings: Settings, password: string | undefined, layout: NodeLayout): Promise<string> {
  const db = settings.database;
  if (!password) return fail('The database password is empty.', 'Enter the password of the repository database user.');
  const conn = await sys.postgres.connect({ host: db.host, port: db.port, user: db.user, password, database: db.name, ssl: db.ssl, ...repositoryCa(settings, layout.dataDir, true), timeoutMs: 10_000 });
  try {
    const version = await conn.serverVersionNum();
    if (version < layout.manifest.database.minServerVersion) {
      fail(`The database server runs PostgreSQL ${version}, older than the supported ${layout.manifest.database.minServerVersion}.`, 'Upgrade the database server.');
    }
    const maxConn = Number((await conn.readSettings(['max_connections']))['max_connections']?.setting);
    const perNode = layout.manifest.database.connectionsPerNode;
    const needed = perNode * settings.plannedNodes;
    if (maxConn < needed) {
      fail(`max_connections is ${maxConn}; ${settings.plannedNodes} node(s) need at least ${needed} (${perNode} per node).`, `Set max_connections = ${needed} in postgresql.conf on the database server (spsetup db prepare does it) and restart it.`);
    }
    const nodesQuery = layout.manifest.nodesQuery;
    const nodes = nodesQuery ? await conn.query<{ hostname: string; is_central: boolean }>(nodesQuery).catch(() => []) : [];
    const others = nodes.filter((n) => n.hostname !== settings.hostname);
    if (others.length >= MAX_NODES) {
      fail(`The cluster already has ${others.length} nodes; shared persistence supports at most ${MAX_NODES}.`, 'Remove a node from the cluster first.');
    }
    if (settings.cluster.mode === 'join' && !nodes.some((n) => n.is_central)) {
      fail('No central node is registered in this repository database.', 'Create the cluster on the central node first, or check the database settings.');
    }
    if (settings.cluster.mode === 'join' && nodes.some((n) => n.is_central && n.hostname === settings.hostname)) {
      fail(`${settings.hostname} is this cluster's central node: joining it as a rim node would re-point its services.`, 'To repair the central node, run Create cluster again with its own settings; to add a node, run Join on that machine.');
    }
    if (settings.cluster.mode === 'create' && others.some((n) => n.is_central)) {
      fail(`This database already has a central node (${others.find((n) => n.is_central)?.hostname}).`, 'Choose Join cluster to add this node to it.');
    }
    return `Connected to ${db.name} on ${db.host}:${db.port} as ${db.user} (PostgreSQL ${Math.floor(version / 10000)}, max_connections ${maxConn}, ${others.length} other node(s)).`;
  } finally {
    await conn.close();
  }
}

/** Test access: the share root can be reached and written (by the service account when it exists). */
export async function checkShare(sys: System, layout: NodeLayout, accountExists: boolean): Promise<string> {
  const root = layout.share.root;
  const target = await nearestExisting(sys, root);
  const stat = await sys.files.stat(target);
  if (stat?.kind !== 'dir') return fail(`The share root ${root} cannot be reached (${target} is not a folder).`, 'Check the share path and that the share is online.');
  const as = accountExists && target === root ? layout.serviceAccount : undefined;
  if (!(await sys.files.canWrite(target, as))) {
    return fail(`${as ?? 'The installer'} cannot write to ${target}.`, `Give ${as ?? 'this account'} read/write access to the share (the guide: read/write for the service account).`);
  }
  return target === root ? `${root} is writable${as ? ` by ${as}` : ''}.` : `${root} will be created in ${target}.`;
}

/** The host name resolves to an address of this machine. */
export async function checkHostname(sys: System, hostname: string): Promise<string> {
  const addresses = await sys.network.resolve(hostname);
  if (!addresses.length) return fail(`The host name ${hostname} does not resolve.`, 'Use the DNS name other nodes use for this machine, or add it to DNS or the hosts file.');
  const mine = new Set(sys.network.localAddresses());
  const local = addresses.filter((a) => mine.has(a) || a.startsWith('127.') || a === '::1');
  if (!local.length) return fail(`${hostname} resolves to ${addresses.join(', ')}, which is not this machine.`, 'Enter this machine\'s own host name.');
  return `${hostname} resolves to ${local.join(', ')} on this machine.`;
}

function preflightChecks(sys: System, { settings, layout, facts, secrets }: PreflightInput): Check[] {
  const checks: Check[] = [
    {
      id: 'elevated',
      title: 'Administrator rights',
      run: async () => (sys.processes.isElevated() ? 'Running with administrator rights.' : fail('spsetup is not running with administrator rights.', 'Run it as root (sudo) or as an administrator.')),
    },
    { id: 'hostname', title: 'Host name', run: () => checkHostname(sys, settings.hostname) },
    {
      id: 'passwords',
      title: 'Passwords',
      run: async () => {
        const needed = ['database.password', ...(layout.localDb ? ['database.superuserPassword'] : []), ...(sys.platform === 'win32' ? ['serviceAccount.password'] : [])];
        const empty = needed.filter((n) => !secrets.get(n));
        if (empty.length) fail(`These passwords are empty: ${empty.join(', ')}.`, 'Enter a password for each (an empty password cannot be protected).');
        return 'Every password is set.';
      },
    },
    {
      id: 'ports',
      title: 'Ports',
      run: async () => {
        const used = neededPorts(layout).filter(({ port }) => facts.ports[String(port)] === 'used');
        if (used.length) fail(`Port(s) already in use by another program: ${used.map((u) => `${u.port} (needed by ${u.service})`).join(', ')}.`, 'Stop the program that uses them, or choose other ports.');
        return `Ports ${neededPorts(layout).map((p) => p.port).join(', ')} are available.`;
      },
    },
    {
      id: 'install-location',
      title: 'Installation location',
      run: async () => {
        const target = await nearestExisting(sys, layout.installDir);
        if (!(await sys.files.canWrite(target))) fail(`Cannot write to ${target}.`, 'Choose another installation location, or fix its permissions.');
        // Whether there is room for what the plan writes is the space check's (checkPlanSpace).
        return `${layout.installDir} is writable.`;
      },
    },
    { id: 'share', title: 'Shared folder', run: () => checkShare(sys, layout, facts.accountExists) },
  ];
  if (settings.database.install === 'existing') {
    checks.push({ id: 'database', title: 'Repository database', run: () => checkDatabase(sys, settings, secrets.get('database.password'), layout) });
  }
  if (settings.cluster.mode === 'join') {
    const ca = repositoryCa(settings, layout.dataDir, true);
    checks.push({ id: 'central-ports', title: 'Ports of the central node', run: () => checkCentralPorts(sys, settings, layout, secrets.get('database.password'), ca) });
  }
  return checks;
}
