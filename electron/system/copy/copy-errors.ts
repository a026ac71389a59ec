/** Turns file system errors of a copy into UserErrors that name the file and the fix. */
import { UserError } from '../../shared/errors.js';
import { outOfInodes } from '../fs-errors.js';

/** Which side of the copy failed. */
export type CopySide = 'read' | 'write';

const RESUME_NOTE = 'Files already copied and verified are not copied again.';

/** A UserError for an fs error on `filePath`; errors that are not fs errors are returned as they are. */
export function toCopyError(err: unknown, side: CopySide, filePath: string): unknown {
  if (err instanceof UserError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string') return err;
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new UserError(
        'filesystem',
        code === 'ENOSPC' && outOfInodes(filePath) ? `Cannot copy ${filePath}: its file system has no free inodes left (too many files).` : `Not enough space to copy ${filePath}: its file system is full.`,
        `Free space on the target (or raise its quota), then run the copy again. ${RESUME_NOTE}`,
        { path: filePath, errno: code },
      );
    case 'EROFS':
      return new UserError(
        'filesystem',
        `Cannot write ${filePath}: the file system is read-only.`,
        `Make the share folder writable (share and file system permissions), then run the copy again. ${RESUME_NOTE}`,
        { path: filePath, errno: code },
      );
    case 'EACCES':
    case 'EPERM':
      return new UserError(
        'permission-denied',
        side === 'read' ? `Permission denied reading ${filePath}.` : `Permission denied writing ${filePath}.`,
        side === 'read'
          ? 'Run spsetup as an administrator, or give its account read access to the local content folders.'
          : `Give the account running spsetup write access to the share folder, then run the copy again. ${RESUME_NOTE}`,
        { path: filePath, errno: code },
      );
    case 'ENOENT':
      if (side === 'read') {
        return new UserError(
          'conflict',
          `${filePath} disappeared while it was being copied.`,
          `Stop the product's services so that content does not change during the copy, then run it again. ${RESUME_NOTE}`,
          { path: filePath, errno: code },
        );
      }
      return new UserError('apply-failed', `The target folder of ${filePath} disappeared during the copy.`, `Check the share is reachable, then run the copy again. ${RESUME_NOTE}`, {
        path: filePath,
        errno: code,
      });
    default:
      return new UserError(
        'apply-failed',
        `${side === 'read' ? 'Reading' : 'Writing'} ${filePath} failed (${code}).`,
        `Check the disk or the share connection, then run the copy again. ${RESUME_NOTE}`,
        { path: filePath, errno: code },
      );
  }
}

/** Runs `fn`, converting an fs error into a UserError about `filePath`. */
export async function onSide<T>(side: CopySide, filePath: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toCopyError(err, side, filePath);
  }
}

/** `onSide` for synchronous work. */
export function onSideSync<T>(side: CopySide, filePath: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw toCopyError(err, side, filePath);
  }
}
