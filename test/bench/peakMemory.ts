// The process's resident memory, for the memory probes (each runs alone in a fresh process): now, and the peak
// since the last reset. Linux: VmRSS and VmHWM from /proc/self/status, the peak reset by writing 5 to
// /proc/self/clear_refs, so that what the process held at its start (its code being compiled, say) is not counted
// as the measured run's peak; elsewhere process.memoryUsage().rss and resourceUsage().maxRSS (kilobytes), not reset.

import * as fs from 'fs';

function status(field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Resets the peak to the current resident memory (Linux); returns the resident memory now, in bytes. */
export function resetPeak(): number {
  try { fs.writeFileSync('/proc/self/clear_refs', '5'); } catch { /* not Linux: the peak counts from the start */ }
  return status('VmRSS') ?? process.memoryUsage().rss;
}

/** The peak resident memory since the last reset (or the start), in bytes. */
export function peakResident(): number {
  return status('VmHWM') ?? process.resourceUsage().maxRSS * 1024;
}
