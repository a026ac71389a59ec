/** The copy engine of the installer (product files) and the migration (content to the share). */
export { copyTree } from './copy-tree.js';
export { readJournal } from './journal.js';
export { PARTIAL_SUFFIX, hashFile } from './copy-file.js';
export { walkTree } from './walk-tree.js';
export type { CopyOptions, CopyProgress, CopyResult, CopiedFile, JournalEntry, SkippedEntry } from './types.js';
