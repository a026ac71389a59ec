/** `--set path=value` overrides for settings given on the command line (never a secret). */
import { SECRET_NAMES, type SettingsInput } from '../shared/settings.js';
import { UserError } from '../shared/errors.js';

/** Applies `a.b=value` assignments; values that parse as JSON (numbers, booleans) are taken as such. */
export function applyOverrides(settings: SettingsInput, assignments: readonly string[]): SettingsInput {
  const out = structuredClone(settings) as unknown as Record<string, unknown>;
  for (const assignment of assignments) {
    const eq = assignment.indexOf('=');
    if (eq <= 0) throw new UserError('invalid-input', `--set ${assignment}: expected path=value, e.g. hostname=node2.example.com.`);
    const path = assignment.slice(0, eq);
    const raw = assignment.slice(eq + 1);
    if ((SECRET_NAMES as readonly string[]).includes(path) || /password/i.test(path)) {
      throw new UserError('invalid-input', `--set ${path}: secrets are never taken from the command line (others can read it).`, 'Give the secret in the settings as { "file": PATH } or { "env": NAME }, or with --service-password-file.');
    }
    let value: unknown = raw;
    try {
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed !== 'object' || parsed === null) value = parsed;
    } catch {
      // a plain string
    }
    const keys = path.split('.');
    let node = out;
    for (const key of keys.slice(0, -1)) {
      const next = node[key];
      node = (next && typeof next === 'object' ? next : (node[key] = {})) as Record<string, unknown>;
    }
    node[keys[keys.length - 1]!] = value;
  }
  return out as unknown as SettingsInput;
}
