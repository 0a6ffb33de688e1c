// How the core writes numbers into criteria values and reasons: the same everywhere (status, digest, audit).

/** "2d 3h", "45m", "12s": compact durations. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h <= 48) return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d ${h % 24}h` : `${d}d`;
}

export function formatPercent(percent: number): string {
  return `${Number.isInteger(percent) ? percent : percent.toFixed(2)}%`;
}

/** A ratio as a percentage with four significant digits: 99.95% must not round to 100% next to a 99.9% threshold. */
export function formatRatio(value: number): string {
  return `${Number((value * 100).toPrecision(4))}%`;
}

export function formatSeconds(value: number): string {
  return value < 1 ? `${Math.round(value * 1000)}ms` : `${value.toFixed(2)}s`;
}
