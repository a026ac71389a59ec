/** Durations and times as the progress and Finished screens show them. */

/** A run's elapsed time as m:ss (h:mm:ss past an hour). */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** A step's duration: "under 0.1 s", "3.4 s", "2 min 05 s". */
export function formatStepDuration(ms: number): string {
  if (ms < 100) return 'under 0.1 s';
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

/** An ISO time in this machine's local time, with how long ago it was ("just now", "12 s ago", "5 min ago"). */
export function formatLastSeen(iso: string, now: number, locale?: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const ago = Math.round((now - t) / 1000);
  const rel = ago < 2 ? 'just now' : ago < 120 ? `${ago} s ago` : ago < 7200 ? `${Math.round(ago / 60)} min ago` : ago < 172_800 ? `${Math.round(ago / 3600)} h ago` : `${Math.round(ago / 86_400)} days ago`;
  const local = new Date(t).toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'medium' });
  return `${local} (${rel})`;
}
