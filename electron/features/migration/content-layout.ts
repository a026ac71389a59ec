/**
 * The guide's "Copying content to shared folders" as data: which local folder of a
 * synchronized-persistence node goes to which folder of the share. Pure: no file system access.
 *
 * Windows (the guide, with dataDir = %ProgramData%\Qlik\Sense):
 *   dataDir\Apps                                   -> share Apps
 *   %ProgramData%\Qlik\Custom Data                 -> share CustomData (dataDir's parent \ Custom Data)
 *   %ProgramFiles%\Common Files\Qlik\Custom Data   -> share CustomData (the connectors)
 *   %ProgramFiles%\Common Files\Qlik\Archived Logs -> share ArchivedLogs (optional: old logs)
 *   dataDir\Repository\{AppContent, Content, DefaultContent, Extensions, DefaultApps}
 *                                                  -> share StaticContent\{same name}
 * Linux (the reference product) has no Program Files: the same folders live inside dataDir
 * (dataDir/Custom Data, dataDir/Common Files/Custom Data, dataDir/Common Files/Archived Logs)
 * unless customDataDir / commonFilesDir say otherwise.
 */
import path from 'node:path';
import type { Platform, ShareFolders } from '../../shared/settings.js';

/** The folders of StaticContent the guide lists, copied from dataDir\Repository. */
export const STATIC_CONTENT_FOLDERS = ['AppContent', 'Content', 'DefaultContent', 'Extensions', 'DefaultApps'] as const;

export type ContentId =
  | 'apps'
  | 'custom-data'
  | 'connectors'
  | 'archived-logs'
  | `static-content/${(typeof STATIC_CONTENT_FOLDERS)[number]}`;

/** One copy the migration makes: everything inside `source` goes inside `target`. */
export interface ContentMapping {
  /** Stable id, also usable as a file name (journals): 'apps', 'static-content/Extensions', ... */
  readonly id: ContentId;
  /** Short description for plans and reports. */
  readonly label: string;
  readonly source: string;
  readonly target: string;
  /** The share sub folder this mapping fills. */
  readonly shareFolder: keyof Omit<ShareFolders, 'root'>;
}

export interface LocalContentInput {
  readonly platform: Platform;
  /** The product's local data folder (%ProgramData%\Qlik\Sense on Windows). */
  readonly dataDir: string;
  readonly share: ShareFolders;
  /** %ProgramData%\Qlik\Custom Data; default: win32 dataDir\..\Custom Data, linux dataDir/Custom Data. */
  readonly customDataDir?: string;
  /** %ProgramFiles%\Common Files\Qlik; default: win32 C:\Program Files\Common Files\Qlik, linux dataDir/Common Files. */
  readonly commonFilesDir?: string;
  /** The guide makes the old logs optional ("if you want to keep your old log files"); default true. */
  readonly includeArchivedLogs?: boolean;
}

/** The local folders to copy and where each goes on the share, in the guide's order. */
export function contentLayout(input: LocalContentInput): readonly ContentMapping[] {
  const p = input.platform === 'win32' ? path.win32 : path.posix;
  const customDataDir =
    input.customDataDir ?? (input.platform === 'win32' ? p.join(p.dirname(input.dataDir), 'Custom Data') : p.join(input.dataDir, 'Custom Data'));
  const commonFilesDir =
    input.commonFilesDir ?? (input.platform === 'win32' ? 'C:\\Program Files\\Common Files\\Qlik' : p.join(input.dataDir, 'Common Files'));
  const mappings: ContentMapping[] = [
    { id: 'apps', label: 'Apps', source: p.join(input.dataDir, 'Apps'), target: input.share.apps, shareFolder: 'apps' },
    { id: 'custom-data', label: 'Custom Data', source: customDataDir, target: input.share.customData, shareFolder: 'customData' },
    {
      id: 'connectors',
      label: 'Connectors (Common Files Custom Data)',
      source: p.join(commonFilesDir, 'Custom Data'),
      target: input.share.customData,
      shareFolder: 'customData',
    },
  ];
  if (input.includeArchivedLogs ?? true) {
    mappings.push({
      id: 'archived-logs',
      label: 'Archived Logs',
      source: p.join(commonFilesDir, 'Archived Logs'),
      target: input.share.archivedLogs,
      shareFolder: 'archivedLogs',
    });
  }
  for (const folder of STATIC_CONTENT_FOLDERS) {
    mappings.push({
      id: `static-content/${folder}`,
      label: `StaticContent ${folder}`,
      source: p.join(input.dataDir, 'Repository', folder),
      target: p.join(input.share.staticContent, folder),
      shareFolder: 'staticContent',
    });
  }
  return mappings;
}

/** The share sub folders the guide says to create first (step 1), deduplicated. */
export function shareFoldersToCreate(share: ShareFolders): readonly string[] {
  return [...new Set([share.apps, share.staticContent, share.archivedLogs, share.customData])];
}
