/**
 * The environment of a child that runs as another account (runuser): PATH, LANG, HOME, USER and
 * LOGNAME of that account, plus what the caller names explicitly; never the installer's own
 * environment, which may hold `{ "env": NAME }` secrets (runuser without -l passes it all on).
 */
import { basename } from 'node:path';
import { SERVICE_LANG, SERVICE_PATH } from './services/runit-script.js';

/** The account a command line switches to: `runuser -u NAME -- …` (the form spsetup writes); undefined otherwise. */
export function runuserTarget(file: string, args: readonly string[]): string | undefined {
  if (basename(file) !== 'runuser') return undefined;
  const i = args.indexOf('-u');
  return i >= 0 && i + 1 < args.length ? args[i + 1] : undefined;
}

/** The whole environment of a child running as `user` (home from its passwd entry; `/` when it has none). */
export function accountEnv(user: string, home: string | undefined, explicit: Readonly<Record<string, string | undefined>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: SERVICE_PATH, LANG: SERVICE_LANG, HOME: home || '/', USER: user, LOGNAME: user };
  for (const [key, value] of Object.entries(explicit)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}
