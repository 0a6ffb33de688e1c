// The deployment window: weight increases only happen while people are around to watch them.

export type BusinessHours =
  | { kind: 'always' }
  | { kind: 'window'; days: number[]; startMinute: number; endMinute: number; text: string };

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** Parses "Mon-Fri 09:00-18:00", "Mon,Wed,Fri 08:30-17:00" or "always". Returns an error text when invalid. */
export function parseBusinessHours(text: string): BusinessHours | string {
  const trimmed = text.trim();
  if (/^always$/i.test(trimmed)) return { kind: 'always' };
  const match = /^([A-Za-z,-]+)\s+(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(trimmed);
  const expected = 'expected "Mon-Fri 09:00-18:00" (days, then HH:MM-HH:MM) or "always"';
  if (!match) return expected;
  const [, dayPart, sh, sm, eh, em] = match;
  const days = parseDays(dayPart!);
  const startMinute = Number(sh) * 60 + Number(sm);
  const endMinute = Number(eh) * 60 + Number(em);
  if (!days || Number(sh) > 23 || Number(eh) > 24 || Number(sm) > 59 || Number(em) > 59 || endMinute <= startMinute) {
    return expected;
  }
  return { kind: 'window', days, startMinute, endMinute, text: trimmed };
}

function parseDays(part: string): number[] | undefined {
  const days = new Set<number>();
  for (const piece of part.split(',')) {
    const [from, to] = piece.split('-');
    const a = dayIndex(from);
    const b = to === undefined ? a : dayIndex(to);
    if (a === undefined || b === undefined) return undefined;
    // Ranges may wrap the week ("Sat-Sun", "Fri-Mon").
    for (let d = a; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === b) break;
    }
  }
  return [...days].sort();
}

function dayIndex(name: string | undefined): number | undefined {
  if (!name) return undefined;
  const i = DAY_NAMES.findIndex((d) => d.toLowerCase() === name.slice(0, 3).toLowerCase());
  return i === -1 ? undefined : i;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function localWeekdayAndMinute(at: Date, timeZone: string): { day: number; minute: number } {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, formatter);
  }
  const parts = formatter.formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '0';
  return { day: DAY_NAMES.indexOf(get('weekday')), minute: Number(get('hour')) * 60 + Number(get('minute')) };
}

export function isWindowOpen(hours: BusinessHours, at: Date, timeZone: string): boolean {
  if (hours.kind === 'always') return true;
  const { day, minute } = localWeekdayAndMinute(at, timeZone);
  return hours.days.includes(day) && minute >= hours.startMinute && minute < hours.endMinute;
}

/** The next moment the window opens (minute precision), or `at` itself when already open. */
export function nextWindowOpening(hours: BusinessHours, at: Date, timeZone: string): Date | undefined {
  if (isWindowOpen(hours, at, timeZone)) return at;
  if (hours.kind === 'always') return at;
  // Coarse steps no longer than the window find it, then minutes find its first minute; a week bounds it.
  const coarse = Math.min(60, hours.endMinute - hours.startMinute) * 60_000;
  const start = Math.ceil(at.getTime() / 60_000) * 60_000;
  for (let t = start; t <= start + 8 * 86_400_000; t += coarse) {
    if (!isWindowOpen(hours, new Date(t), timeZone)) continue;
    for (let m = Math.max(start, t - coarse); m <= t; m += 60_000) {
      if (isWindowOpen(hours, new Date(m), timeZone)) return new Date(m);
    }
  }
  return undefined;
}

export function describeBusinessHours(hours: BusinessHours, timeZone: string): string {
  return hours.kind === 'always' ? 'always open' : `${hours.text} ${timeZone}`;
}
