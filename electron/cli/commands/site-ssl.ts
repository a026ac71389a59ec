/** `spsetup site ssl enable` and `spsetup site password rotate` (issue 15). */
import { ExitCode, UserError } from '../../shared/errors.js';
import { loadSettingsFile } from '../../features/installer/load-settings.js';
import { composeContext } from '../../app/compose.js';
import { enableSiteSsl, renewSiteSsl } from '../../app/site-ssl.js';
import { rotateSitePassword } from '../../app/site-password.js';
import { rotateSuperuserPassword } from '../../app/superuser-password.js';
import { openRunReporter, secretValues } from '../../app/run-reporter.js';
import { defaultPaths, type Settings } from '../../shared/settings.js';
import { getManifest } from '../../product/index.js';
import { parseCommand, required } from '../args.js';
import { renderPlan, renderSitePlan } from '../render.js';
import type { CommandIo } from './io.js';
import { readPassword } from './site-ops.js';

const USAGE = `spsetup site ssl enable --settings NODE_SETTINGS --server-settings DB_SETTINGS [--timeout SECONDS] [--log FILE]
   (on the database server: NODE_SETTINGS are the central node's, DB_SETTINGS as for db prepare with database.ssl "require" or "verify-full")
spsetup site ssl renew --server-settings DB_SETTINGS [--timeout SECONDS] [--log FILE]   (on the database server)
spsetup site password rotate --settings F --password-file P [--timeout SECONDS]
spsetup site password rotate --superuser --settings F --password-file P
   (where the database runs: F holds database.superuserPassword, the current one)`;

const OPTIONS = {
  settings: { type: 'string' },
  'server-settings': { type: 'string' },
  'password-file': { type: 'string' },
  superuser: { type: 'boolean' },
  timeout: { type: 'string' },
  log: { type: 'string' },
} as const;

const invalid = (message: string) => new UserError('invalid-input', message, `Usage:\n${USAGE}`);

function seconds(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 3600) throw invalid('--timeout is a whole number of seconds from 1 to 3600.');
  return Number(text);
}

const stateDirOf = (s: Settings, ctx: ReturnType<typeof composeContext>) => s.stateDir ?? defaultPaths(ctx.sys.platform, getManifest(s.product).folder).stateDir;

/** spsetup site ssl enable | renew | site password rotate */
export async function siteSslCommand(argv: readonly string[], io: CommandIo, path: readonly string[]): Promise<number> {
  // The words come from the grammar; here only the options' values are read.
  const { values } = parseCommand(argv, OPTIONS, USAGE);
  const [group, action] = path;
  if (group === 'ssl' && action === 'renew') {
    const server = await loadSettingsFile(required(values['server-settings'] ?? values.settings, 'server-settings', USAGE));
    const serverCtx = composeContext(server, io.env);
    const reporter = openRunReporter({ stateDir: stateDirOf(server, serverCtx), label: 'site-ssl-renew', secrets: await secretValues(server, io.env), ...(values.log ? { extraLog: values.log } : {}), out: io.out });
    const r = await renewSiteSsl({ server, serverCtx, timeoutSeconds: seconds(values.timeout, 30), say: (l) => reporter.say(l), showPlan: (p) => reporter.say(renderPlan(p)), onEvent: (e) => reporter.event(e) });
    if (r.outcome === 'done') return ExitCode.ok;
    reporter.say('The renewal failed; what it changed was taken back (the old certificate is served). Fix the cause above and run again.');
    return ExitCode.applyFailed;
  }
  const node = await loadSettingsFile(required(values.settings, 'settings', USAGE));
  const nodeCtx = composeContext(node, io.env);
  if (group === 'password' && action === 'rotate' && values.superuser) {
    const password = await readPassword(required(values['password-file'], 'password-file', USAGE));
    const r = await rotateSuperuserPassword(node, nodeCtx, { password, say: io.out });
    io.out(r.oldRefused ? `The old password of ${r.role} no longer logs in (tried: refused by the server).` : `WARNING: the old password of ${r.role} was not refused when tried.`);
    io.out(r.newWorks ? `The new password of ${r.role} logs in.` : `WARNING: the new password of ${r.role} did not log in when tried.`);
    io.out('Put the new password where your settings file takes it from (database.superuserPassword) before the next db prepare or install run.');
    return r.oldRefused && r.newWorks ? ExitCode.ok : ExitCode.applyFailed;
  }
  if (group === 'password' && action === 'rotate') {
    const password = await readPassword(required(values['password-file'], 'password-file', USAGE));
    const r = await rotateSitePassword(node, nodeCtx, { password, timeoutSeconds: seconds(values.timeout, 120), onPlan: (p) => io.out(renderSitePlan(p)) });
    for (const o of r.switched.outcomes) io.out(`  ${o.hostname.padEnd(30)} ${o.state.padEnd(11)} ${o.message}`);
    io.out(r.oldRefused ? 'The old password no longer logs in (tried: refused by the server).' : 'WARNING: the old password was not refused when tried.');
    io.out('Put the new password where your settings file takes it from (database.password) before the next install run.');
    return r.switched.ok && r.oldRefused ? ExitCode.ok : ExitCode.applyFailed;
  }
  if (group !== 'ssl' || action !== 'enable') throw invalid(`Unknown site command "${[group, action].filter(Boolean).join(' ')}".`);
  const server = await loadSettingsFile(required(values['server-settings'], 'server-settings', USAGE));
  const serverCtx = composeContext(server, io.env);
  const reporter = openRunReporter({ stateDir: stateDirOf(server, serverCtx), label: 'site-ssl-enable', secrets: [...(await secretValues(server, io.env)), ...(await secretValues(node, io.env))], ...(values.log ? { extraLog: values.log } : {}), out: io.out });
  const r = await enableSiteSsl({
    node,
    nodeCtx,
    server,
    serverCtx,
    timeoutSeconds: seconds(values.timeout, 120),
    say: (l) => reporter.say(l),
    showPlan: (p) => reporter.say(renderPlan(p)),
    showSitePlan: (p) => reporter.say(renderSitePlan(p)),
    onEvent: (e) => reporter.event(e),
  });
  switch (r.outcome) {
    case 'done':
      reporter.say(`SSL is on for the whole site: every node connects with Ssl Mode=${server.database.ssl === 'verify-full' ? 'VerifyFull (checking the server against the CA)' : 'Require'} and plain logins of the repository role are refused.`);
      return ExitCode.ok;
    case 'server-failed':
      reporter.say(
        r.phase === 'accept-both'
          ? 'The server could not be set up for SSL; what this run changed was taken back and no node was touched. Fix the cause above and run again.'
          : 'Every node uses SSL, but removing the plain rules failed (taken back: plain connections are still accepted). Fix the cause above and run again.',
      );
      return ExitCode.applyFailed;
    case 'nodes-failed':
      reporter.say('Not every node switched, so plain connections are still accepted (nobody was cut off). Fix the nodes named above and run again.');
      return ExitCode.applyFailed;
  }
}
