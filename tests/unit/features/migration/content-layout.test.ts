import { describe, expect, it } from 'vitest';
import { contentLayout, shareFoldersToCreate, STATIC_CONTENT_FOLDERS } from '../../../../electron/features/migration/content-layout.js';
import { shareFolders } from '../../../../electron/shared/settings.js';

const winShare = shareFolders({ root: '\\\\fs1\\QlikShare' }, 'win32');

describe('contentLayout', () => {
  it("maps a Windows node's folders to the share exactly as the guide's section says", () => {
    const layout = contentLayout({ platform: 'win32', dataDir: 'C:\\ProgramData\\Qlik\\Sense', share: winShare });
    expect(layout.map((m) => [m.id, m.source, m.target])).toEqual([
      ['apps', 'C:\\ProgramData\\Qlik\\Sense\\Apps', '\\\\fs1\\QlikShare\\Apps'],
      ['custom-data', 'C:\\ProgramData\\Qlik\\Custom Data', '\\\\fs1\\QlikShare\\CustomData'],
      ['connectors', 'C:\\Program Files\\Common Files\\Qlik\\Custom Data', '\\\\fs1\\QlikShare\\CustomData'],
      ['archived-logs', 'C:\\Program Files\\Common Files\\Qlik\\Archived Logs', '\\\\fs1\\QlikShare\\ArchivedLogs'],
      ['static-content/AppContent', 'C:\\ProgramData\\Qlik\\Sense\\Repository\\AppContent', '\\\\fs1\\QlikShare\\StaticContent\\AppContent'],
      ['static-content/Content', 'C:\\ProgramData\\Qlik\\Sense\\Repository\\Content', '\\\\fs1\\QlikShare\\StaticContent\\Content'],
      ['static-content/DefaultContent', 'C:\\ProgramData\\Qlik\\Sense\\Repository\\DefaultContent', '\\\\fs1\\QlikShare\\StaticContent\\DefaultContent'],
      ['static-content/Extensions', 'C:\\ProgramData\\Qlik\\Sense\\Repository\\Extensions', '\\\\fs1\\QlikShare\\StaticContent\\Extensions'],
      ['static-content/DefaultApps', 'C:\\ProgramData\\Qlik\\Sense\\Repository\\DefaultApps', '\\\\fs1\\QlikShare\\StaticContent\\DefaultApps'],
    ]);
  });

  it('keeps every folder inside the data dir on Linux and uses / separators', () => {
    const share = shareFolders({ root: '/srv/share' }, 'linux');
    const layout = contentLayout({ platform: 'linux', dataDir: '/var/lib/ref', share });
    expect(layout.find((m) => m.id === 'connectors')?.source).toBe('/var/lib/ref/Common Files/Custom Data');
    expect(layout.find((m) => m.id === 'custom-data')?.source).toBe('/var/lib/ref/Custom Data');
    expect(layout.find((m) => m.id === 'static-content/Extensions')?.target).toBe('/srv/share/StaticContent/Extensions');
    for (const m of layout) {
      expect(m.source.startsWith('/var/lib/ref/')).toBe(true);
      expect(m.source + m.target).not.toContain('\\');
    }
  });

  it('follows share sub folders the user moved and local folders given explicitly', () => {
    const share = shareFolders({ root: 'D:\\Share', apps: 'E:\\BigApps', staticContent: 'D:\\Static' }, 'win32');
    const layout = contentLayout({
      platform: 'win32',
      dataDir: 'D:\\Data\\Sense',
      share,
      commonFilesDir: 'D:\\Common\\Qlik',
      customDataDir: 'D:\\CD',
    });
    expect(layout.find((m) => m.id === 'apps')?.target).toBe('E:\\BigApps');
    expect(layout.find((m) => m.id === 'static-content/Content')?.target).toBe('D:\\Static\\Content');
    expect(layout.find((m) => m.id === 'connectors')?.source).toBe('D:\\Common\\Qlik\\Custom Data');
    expect(layout.find((m) => m.id === 'custom-data')?.source).toBe('D:\\CD');
  });

  it('leaves the old logs out when asked, and lists every StaticContent folder of the guide', () => {
    const layout = contentLayout({ platform: 'win32', dataDir: 'C:\\ProgramData\\Qlik\\Sense', share: winShare, includeArchivedLogs: false });
    expect(layout.map((m) => m.id)).not.toContain('archived-logs');
    expect(layout.filter((m) => m.shareFolder === 'staticContent').map((m) => m.id.split('/')[1])).toEqual([...STATIC_CONTENT_FOLDERS]);
    expect(STATIC_CONTENT_FOLDERS).toEqual(['AppContent', 'Content', 'DefaultContent', 'Extensions', 'DefaultApps']);
  });

  it('lists the four share sub folders to create first', () => {
    expect(shareFoldersToCreate(winShare)).toEqual([
      '\\\\fs1\\QlikShare\\Apps',
      '\\\\fs1\\QlikShare\\StaticContent',
      '\\\\fs1\\QlikShare\\ArchivedLogs',
      '\\\\fs1\\QlikShare\\CustomData',
    ]);
  });
});
