/** The current plan and run lock in the state directory. */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../shared/errors.js';
import type { Plan } from '../shared/plan.js';

const PLAN_FILE = 'plan.json';
/** Every plan ever applied here, by id: rollback undoes the steps of all of them, not only the last. */
const PLANS_DIR = 'plans';
const LOCK_FILE = 'run.lock';

/** Saves the plan being applied (atomically, owner-only: it holds no secret but names paths). */
export function savePlan(stateDir: string, plan: Plan): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const tmp = join(stateDir, `${PLAN_FILE}.${process.pid}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(plan, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, join(stateDir, PLAN_FILE));
  const archived = join(stateDir, PLANS_DIR, `${plan.id}.json`);
  if (!existsSync(archived)) {
    mkdirSync(join(stateDir, PLANS_DIR), { recursive: true, mode: 0o700 });
    writeFileSync(`${archived}.${process.pid}.tmp`, `${JSON.stringify(plan, null, 2)}\n`, { mode: 0o600 });
    renameSync(`${archived}.${process.pid}.tmp`, archived);
  }
}

/** A plan applied from this state directory, by id (the last one also when it predates the archive). */
export function loadPlanById(stateDir: string, id: string): Plan | undefined {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) return undefined;
  try {
    return JSON.parse(readFileSync(join(stateDir, PLANS_DIR, `${id}.json`), 'utf8')) as Plan;
  } catch {
    const last = loadPlan(stateDir);
    return last?.id === id ? last : undefined;
  }
}

/** The plan last applied from this state directory, or undefined. */
export function loadPlan(stateDir: string): Plan | undefined {
  try {
    return JSON.parse(readFileSync(join(stateDir, PLAN_FILE), 'utf8')) as Plan;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the run lock so two runs never apply to one machine at once; returns its release. */
export function acquireRunLock(stateDir: string): () => void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const path = join(stateDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new UserError('conflict', `Another spsetup run (process ${holder}) is applying changes on this machine.`, 'Wait for it to finish, then try again.');
      }
      rmSync(path, { force: true }); // left by a process that died
    }
  }
  throw new UserError('conflict', 'Could not take the run lock.', `Remove ${path} if no spsetup run is active.`);
}
