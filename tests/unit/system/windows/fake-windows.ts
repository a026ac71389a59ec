/**
 * A fake Windows machine behind a RecordingRunner: just enough state (services, local groups,
 * ACL grants, DPAPI files, the bootstrap) for the real adapters to see their own changes, so a
 * whole install can be checked, applied, verified and checked again.
 */
import { RecordingRunner, type RecordedCall } from './recording-runner.js';
import type { ExecResult } from '../../../../electron/system/types.js';

interface FakeShare {
  path: string;
  encrypted: boolean;
  /** "Right\taccount" entries, account names lower-cased. */
  access: Set<string>;
}

interface FakeService {
  binPath: string;
  displayName: string;
  start: string;
  depends: string[];
  account: string;
}

const psValue = (script: string, variable: string): string | undefined => {
  const m = new RegExp(`^\\$${variable} = '((?:[^']|'')*)'`, 'm').exec(script);
  return m ? m[1]!.replace(/''/g, "'") : undefined;
};

export class FakeWindows {
  readonly services = new Map<string, FakeService>();
  readonly groups = new Set<string>(['S-1-5-32-558']);
  /** Members by group (name or SID), account names lower-cased. */
  readonly members = new Map<string, Set<string>>();
  readonly acls = new Map<string, string[]>();
  readonly protectedFiles = new Map<string, string>();
  readonly logonRight = new Set<string>();
  /** SMB shares by lower-cased name. */
  readonly shares = new Map<string, FakeShare>();
  bootstrapped = false;
  readonly runner: RecordingRunner;

  constructor(readonly accounts: ReadonlyMap<string, string>) {
    this.runner = new RecordingRunner((c) => this.respond(c));
  }

  private respond(c: RecordedCall): Partial<ExecResult> {
    if (c.file === 'sc.exe') return this.sc(c.args);
    if (c.file === 'icacls.exe') return this.icacls(c.args);
    if (c.file === 'powershell.exe' && c.script !== undefined) return this.powershell(c.script, c.input);
    if (/\\Repository\.exe$/i.test(c.file)) this.bootstrapped = true;
    return {};
  }

  private sc(args: readonly string[]): Partial<ExecResult> {
    const [verb, name = ''] = args;
    const svc = this.services.get(name);
    const missing = { code: 1060, stdout: '[SC] OpenService FAILED 1060:\r\n\r\nThe specified service does not exist as an installed service.\r\n' };
    const opt = (key: string) => args[args.indexOf(key) + 1] ?? '';
    switch (verb) {
      case 'create':
        this.services.set(name, { binPath: opt('binPath='), displayName: opt('DisplayName='), start: opt('start='), depends: args.includes('depend=') ? opt('depend=').split('/') : [], account: 'LocalSystem' });
        return { stdout: '[SC] CreateService SUCCESS' };
      case 'query':
        if (!svc) return missing;
        return { stdout: `SERVICE_NAME: ${name}\r\n        STATE              : 1  STOPPED\r\n        WIN32_EXIT_CODE    : 0  (0x0)\r\n` };
      case 'qc': {
        if (!svc) return missing;
        const [first = '', ...rest] = svc.depends;
        const lines = [
          `SERVICE_NAME: ${name}`,
          `        START_TYPE         : ${svc.start === 'auto' ? '2   AUTO_START' : '3   DEMAND_START'}`,
          `        BINARY_PATH_NAME   : ${svc.binPath}`,
          `        DISPLAY_NAME       : ${svc.displayName}`,
          `        DEPENDENCIES       : ${first}`,
          ...rest.map((d) => `                           : ${d}`),
          `        SERVICE_START_NAME : ${svc.account}`,
        ];
        return { stdout: lines.join('\r\n') };
      }
      default:
        return svc ? { stdout: '[SC] SUCCESS' } : missing;
    }
  }

  private icacls(args: readonly string[]): Partial<ExecResult> {
    const [path = ''] = args;
    const key = path.toLowerCase();
    if (args.length === 1) {
      const entries = ['NT AUTHORITY\\SYSTEM:(OI)(CI)(F)', 'BUILTIN\\Administrators:(OI)(CI)(F)', ...(this.acls.get(key) ?? [])];
      return { stdout: `${path} ${entries.join('\r\n      ')}\r\n\r\nSuccessfully processed 1 files; Failed processing 0 files\r\n` };
    }
    const list = (this.acls.get(key) ?? []).filter((e) => !args.some((a, i) => args[i - 1] === '/grant:r' && e.startsWith(`${a.split(':')[0]}:`)));
    for (const [i, a] of args.entries()) {
      if (args[i - 1] !== '/grant:r') continue;
      const m = /^(.*):((?:\([A-Z]+\))*)([A-Z]+)$/.exec(a);
      if (m) list.push(`${this.qualify(m[1]!)}:${m[2]}(${m[3]})`);
    }
    this.acls.set(key, list);
    return { stdout: 'Successfully processed 1 files; Failed processing 0 files' };
  }

  /** icacls lists accounts with their domain; local groups with this machine's name. */
  private qualify(principal: string): string {
    return principal.includes('\\') || principal.startsWith('*') ? principal : `QLIK1\\${principal}`;
  }

  private member(group: string, account: string): boolean {
    return this.members.get(group)?.has(account.toLowerCase()) ?? false;
  }

  private powershell(script: string, input: string): Partial<ExecResult> {
    if (script.includes('SmbShare')) return this.smb(script);
    if (script.includes('Test-Member')) {
      const account = psValue(script, 'account') ?? '';
      const out = [...script.matchAll(/^Test-Member '((?:[^']|'')*)'/gm)].map(([, raw]) => {
        const label = raw!.replace(/''/g, "'");
        return `${!this.groups.has(label) ? 'no-group' : this.member(label, account) ? 'member' : 'not-member'}\t${label}`;
      });
      return { stdout: out.join('\r\n') };
    }
    if (script.includes('Write-Output $sid')) {
      const sid = this.accounts.get((psValue(script, 'name') ?? '').toLowerCase());
      return sid ? { stdout: `${sid}\r\n` } : { code: 3 };
    }
    if (script.includes('New-LocalGroup')) {
      const name = psValue(script, 'name') ?? '';
      if (this.groups.has(name)) return { stdout: 'unchanged' };
      this.groups.add(name);
      return { stdout: 'created' };
    }
    const add = /Add-LocalGroupMember -(?:Name|SID) '((?:[^']|'')*)' -Member '((?:[^']|'')*)'/.exec(script);
    if (add) {
      const [group, account] = [add[1]!.replace(/''/g, "'"), add[2]!.replace(/''/g, "'")];
      if (this.member(group, account)) return { stdout: 'unchanged' };
      this.members.set(group, new Set([...(this.members.get(group) ?? []), account.toLowerCase()]));
      return { stdout: 'added' };
    }
    if (script.includes('SeServiceLogonRight')) {
      const account = (psValue(script, 'account') ?? '').toLowerCase();
      if (this.logonRight.has(account)) return { stdout: 'unchanged' };
      this.logonRight.add(account);
      return { stdout: 'granted' };
    }
    if (script.includes('MethodName Change')) {
      const svc = this.services.get(psValue(script, 'name') ?? '');
      if (!svc) return { code: 3 };
      svc.account = (/StartName = '((?:[^']|'')*)'/.exec(script)?.[1] ?? '').replace(/''/g, "'");
      return { stdout: 'changed' };
    }
    if (script.includes('ProtectedData]::Protect(')) {
      this.protectedFiles.set((psValue(script, 'path') ?? '').toLowerCase(), input);
      return { stdout: 'stored' };
    }
    if (script.includes('ProtectedData]::Unprotect(')) {
      const value = this.protectedFiles.get((psValue(script, 'path') ?? '').toLowerCase());
      return value === undefined ? { code: 3 } : { stdout: Buffer.from(value, 'utf8').toString('base64') };
    }
    return {};
  }

  /** smb.ts's ensure script, windows-smb-share's read-only query, and Remove-SmbShare. */
  private smb(script: string): Partial<ExecResult> {
    const removed = /Remove-SmbShare -Name '((?:[^']|'')*)'/.exec(script);
    if (removed) {
      this.shares.delete(removed[1]!.replace(/''/g, "'").toLowerCase());
      return {};
    }
    const name = psValue(script, 'name') ?? '';
    const share = this.shares.get(name.toLowerCase());
    const wanted = [...script.matchAll(/^(?:Add|Test)-Access '((?:[^']|'')*)' '(\w+)'/gm)].map(([, a, r]) => [r!, a!.replace(/''/g, "'")] as const);
    const holds = (s: FakeShare, right: string, account: string) => s.access.has(`${right}\t${account.toLowerCase()}`);
    if (script.includes('Test-Access')) {
      if (!share) return { stdout: 'missing\r\n' };
      const lacking = wanted.filter(([r, a]) => !holds(share, r, a)).map(([r, a]) => `lacking\t${r}\t${a}`);
      return { stdout: [`path\t${share.path}`, `encrypted\t${share.encrypted ? 'True' : 'False'}`, ...lacking].join('\r\n') };
    }
    const path = psValue(script, 'path') ?? '';
    const encrypt = script.includes('-EncryptData $true');
    if (!share) {
      this.shares.set(name.toLowerCase(), { path, encrypted: encrypt, access: new Set(wanted.map(([r, a]) => `${r}\t${a.toLowerCase()}`)) });
      return { stdout: 'created' };
    }
    if (share.path.replace(/\\+$/, '').toLowerCase() !== path.replace(/\\+$/, '').toLowerCase()) return { code: 5, stderr: `The share ${name} already exists for ${share.path}.` };
    let changed = false;
    for (const [r, a] of wanted.filter(([r, a]) => !holds(share, r, a))) {
      share.access.add(`${r}\t${a.toLowerCase()}`);
      changed = true;
    }
    if (encrypt && !share.encrypted) share.encrypted = changed = true;
    return { stdout: changed ? 'updated' : 'unchanged' };
  }
}
