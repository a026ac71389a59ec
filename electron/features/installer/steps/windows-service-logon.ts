/**
 * Step kind (Windows): the services log on as the service account. The generic `service` kind
 * registers them (sc.exe create cannot take a password safely); this one sets account and
 * password through Win32_Service.Change with the password on stdin, and grants "Log on as a
 * service" (WindowsServiceManager.setAccount). The guide's step "change the Log On credentials".
 */
import { z } from 'zod';
import { UserError } from '../../../shared/errors.js';
import { defineStepKind } from '../../../engine/step-kind.js';
import type { System } from '../../../system/system.js';
import { parseScQc, scError } from '../../../system/windows/sc-output.js';
import { scExe } from '../../../system/windows/scm.js';
import { secretRef } from './params.js';

const params = z.object({ services: z.array(z.string()).min(1), account: z.string(), password: secretRef });

/** The account a service logs on as; undefined when it is not installed. */
async function logonAccount(sys: System, name: string): Promise<string | undefined> {
  const res = await sys.processes.run(scExe, ['qc', name, '8192'], { allowFailure: true, timeoutMs: 30_000 });
  if (res.code === scError.serviceDoesNotExist) return undefined;
  if (res.code !== 0) throw new UserError('service', `sc.exe qc ${name} failed with error ${res.code}.`, 'Run spsetup elevated.');
  return parseScQc(res.stdout).account;
}

/** Services that do not log on as the account (compared case-insensitively, as Windows does). */
async function otherAccounts(sys: System, p: z.infer<typeof params>): Promise<string[]> {
  const out: string[] = [];
  for (const name of p.services) if ((await logonAccount(sys, name))?.toLowerCase() !== p.account.toLowerCase()) out.push(name);
  return out;
}

/** The `windows-service-logon` step kind. */
export const windowsServiceLogonStep = defineStepKind<typeof params, System>({
  kind: 'windows-service-logon',
  params,
  async check(p, { sys }) {
    const other = await otherAccounts(sys, p);
    // A changed password cannot be read back: resume or run again to set it anew.
    if (!other.length) return { action: 'noop', summary: `The services log on as ${p.account}` };
    return { action: 'update', summary: `Log ${other.join(', ')} on as ${p.account} (password given on standard input; "Log on as a service" granted)` };
  },
  async apply(p, { sys, secret, log }) {
    const password = secret(p.password.secret);
    for (const name of p.services) {
      await sys.services.setAccount(name, p.account, password);
      log(`${name} logs on as ${p.account}.`);
    }
  },
  async verify(p, { sys }) {
    const other = await otherAccounts(sys, p);
    if (other.length) throw new UserError('verify-failed', `${other.join(', ')} do not log on as ${p.account}.`, 'Check the Log On tab in services.msc, then resume.');
  },
});
