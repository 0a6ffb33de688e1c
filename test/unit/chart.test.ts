import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import {
  formatUtc,
  measureText,
  renderGoNoGoChart,
  renderGoNoGoChartSvg,
  type ChartSeriesPoint,
  type GoNoGoChartData,
} from '../../src/adapters/chart.js';

const HOUR = 3_600_000;
const STEP = 5 * 60_000;
const TO = Date.UTC(2026, 10, 24, 14, 0);
const FROM = TO - 48 * HOUR;

/** 48 h at 5-minute steps; gaps at samples 100-111 and 300 and 302 (301 is an isolated point). */
function series(valueAt: (i: number) => number): ChartSeriesPoint[] {
  const points: ChartSeriesPoint[] = [];
  for (let i = 0, at = FROM; at <= TO; i++, at += STEP) {
    const gap = (i >= 100 && i < 112) || i === 300 || i === 302;
    points.push({ at, value: gap ? null : valueAt(i) });
  }
  return points;
}

function chartData(options: { breach: boolean }): GoNoGoChartData {
  return {
    from: FROM,
    to: TO,
    // Around 0.03%, with a breach of ~0.15% for 40 minutes (samples 400-407) when asked.
    errorRate: series((i) => (options.breach && i >= 400 && i < 408 ? 0.0015 : 0.0003 + 0.0001 * Math.sin(i / 20))),
    errorRateMax: 0.001,
    // Around 1.1x, with a breach of 1.8x (samples 420-424) when asked.
    p99Ratio: series((i) => (options.breach && i >= 420 && i < 425 ? 1.8 : 1.1 + 0.05 * Math.sin(i / 30))),
    p99RatioMax: 1.5,
    weightChanges: [
      { at: FROM - 24 * HOUR, percent: 50 }, // before the window: not drawn
      { at: FROM + 6 * HOUR, percent: 5 },
      { at: FROM + 26 * HOUR, percent: 10 },
      { at: FROM + 40 * HOUR, percent: 25 },
    ],
  };
}

function emptyData(): GoNoGoChartData {
  const data = chartData({ breach: false });
  return {
    ...data,
    errorRate: data.errorRate.map((p) => ({ ...p, value: null })),
    p99Ratio: [],
    weightChanges: [],
  };
}

/** Width and height from the PNG signature and IHDR chunk, read by hand. */
function pngHeader(png: Buffer): { width: number; height: number } {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(png.readUInt32BE(8)).toBe(13); // IHDR data length
  expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

interface Pixels {
  width: number;
  height: number;
  /** Pixels in the rectangle (fractions of the image) matching the predicate. */
  count(region: [number, number, number, number], match: (r: number, g: number, b: number) => boolean): number;
}

function pixels(png: Buffer): Pixels {
  const image = decode(png);
  expect(image.depth).toBe(8);
  const { width, height, channels, data } = image;
  return {
    width,
    height,
    count([x0, y0, x1, y1], match) {
      let n = 0;
      for (let y = Math.floor(y0 * height); y < Math.floor(y1 * height); y++) {
        for (let x = Math.floor(x0 * width); x < Math.floor(x1 * width); x++) {
          const o = (y * width + x) * channels;
          if (match(data[o]!, data[o + 1]!, data[o + 2]!)) n++;
        }
      }
      return n;
    },
  };
}

// Hue tests rather than exact colours: anti-aliased strokes blend with the white background.
const blueish = (r: number, g: number, b: number) => b - r > 60 && g > r && b - g > 40; // error rate line #1f6feb
const tealish = (r: number, g: number, b: number) => g - r > 40 && g >= b - 10; // p99 ratio line #0f8a7e
const redish = (r: number, g: number, b: number) => r - g > 60 && r - b > 50; // thresholds and breaches #cf222e
const notWhite = (r: number, g: number, b: number) => r < 235 || g < 235 || b < 235;
const PLOTS: [number, number, number, number] = [0.08, 0.15, 0.88, 0.92]; // both plot areas, roughly
const TOP_PLOT: [number, number, number, number] = [0.08, 0.17, 0.88, 0.48];
const BOTTOM_PLOT: [number, number, number, number] = [0.08, 0.6, 0.88, 0.92];

/** The `d` of the data lines: their strokes are gradients (red above the threshold). */
function dataLinePaths(svg: string): string[] {
  return [...svg.matchAll(/<path d="([^"]+)"[^>]*stroke="url\(#/g)].map((m) => m[1]!);
}

describe('go/no-go chart', () => {
  it('renders a PNG of exactly the requested size', async () => {
    const data = chartData({ breach: true });
    expect(pngHeader(await renderGoNoGoChart(data))).toEqual({ width: 1000, height: 500 });
    expect(pngHeader(await renderGoNoGoChart(data, { width: 640, height: 360 }))).toEqual({ width: 640, height: 360 });
    expect(pngHeader(await renderGoNoGoChart(data, { width: 1201, height: 633 }))).toEqual({ width: 1201, height: 633 });
  });

  it('labels the thresholds, the weight steps in the window, the title and the legend', () => {
    const svg = renderGoNoGoChartSvg(chartData({ breach: true }));
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('>Go/no-go, last 48 h<');
    expect(svg).toContain('>Nov 22 14:00 – Nov 24 14:00 UTC<');
    expect(svg).toContain('>0.1% max<');
    expect(svg).toContain('>1.5x max<');
    for (const step of ['5%', '10%', '25%']) expect(svg.split(`>${step}<`).length - 1).toBe(2); // on both plots
    expect(svg).not.toContain('>50%<'); // the step before the window
    for (const name of ['Rust error rate', 'p99 Rust / Python', 'Above threshold', 'Canary weight step']) expect(svg).toContain(`>${name}<`);
    expect(svg).toMatch(/>Nov 2[234] \d\d:00</); // UTC time axis labels
    expect(svg).not.toContain('no data');
  });

  it('draws gaps as gaps', () => {
    const paths = dataLinePaths(renderGoNoGoChartSvg(chartData({ breach: true })));
    expect(paths).toHaveLength(2);
    // 0-99 | 112-299 | 301 alone (drawn as a dot instead) | 303-end: at least three pieces each.
    for (const d of paths) expect(d.split('M').length - 1).toBeGreaterThanOrEqual(3);
  });

  it('takes a custom title', () => {
    expect(renderGoNoGoChartSvg({ ...chartData({ breach: false }), title: 'Go/no-go, Nov 24' })).toContain('>Go/no-go, Nov 24<');
  });

  it('draws the lines, and breaches in red, on a non-blank image', async () => {
    const breach = pixels(await renderGoNoGoChart(chartData({ breach: true })));
    const calm = pixels(await renderGoNoGoChart(chartData({ breach: false })));
    const blank = pixels(await renderGoNoGoChart(emptyData()));

    expect(breach.count(TOP_PLOT, blueish)).toBeGreaterThan(1000);
    expect(breach.count(BOTTOM_PLOT, tealish)).toBeGreaterThan(1000);
    expect(blank.count(TOP_PLOT, blueish)).toBe(0);
    expect(blank.count(BOTTOM_PLOT, tealish)).toBe(0);
    expect(breach.count(PLOTS, notWhite)).toBeGreaterThan(blank.count(PLOTS, notWhite) + 2000);

    // The threshold lines are red in every chart; breaches add red on both plots.
    const calmRed = [calm.count(TOP_PLOT, redish), calm.count(BOTTOM_PLOT, redish)];
    expect(calmRed[0]).toBeGreaterThan(200);
    expect(breach.count(TOP_PLOT, redish)).toBeGreaterThan(calmRed[0]! + 100);
    expect(breach.count(BOTTOM_PLOT, redish)).toBeGreaterThan(calmRed[1]! + 60);
  });

  it('renders all-null data as a valid chart with a "no data" note', async () => {
    const data = emptyData();
    const svg = renderGoNoGoChartSvg(data);
    expect(svg.split('no data in this window').length - 1).toBe(2);
    expect(svg).toContain('>0.1% max<');
    expect(svg).toContain('>1.5x max<');
    expect(pngHeader(await renderGoNoGoChart(data))).toEqual({ width: 1000, height: 500 });
  });

  it('treats NaN and infinite values as gaps and ignores points outside the window', async () => {
    const data: GoNoGoChartData = {
      ...emptyData(),
      errorRate: [
        { at: FROM + HOUR, value: Number.NaN },
        { at: FROM + 2 * HOUR, value: Number.POSITIVE_INFINITY },
        { at: FROM - HOUR, value: 0.5 },
      ],
      p99Ratio: [{ at: TO + HOUR, value: 9 }],
    };
    const svg = renderGoNoGoChartSvg(data);
    expect(svg.split('no data in this window').length - 1).toBe(2);
    expect(svg).toContain('>0.15%<'); // the y axis ignored the 50% outside the window
    expect(pngHeader(await renderGoNoGoChart(data, { width: 400, height: 300 }))).toEqual({ width: 400, height: 300 });
  });

  it('moves the legend to its own row when the width is narrow', () => {
    const svg = renderGoNoGoChartSvg(chartData({ breach: true }), { width: 600, height: 360 });
    const title = /<text[^>]*transform="translate\(([\d.]+) ([\d.]+)\)"[^>]*>Go\/no-go, last 48 h</.exec(svg);
    const legend = /<text[^>]*font-size:11px[^>]*transform="translate\(([\d.]+) ([\d.]+)\)"[^>]*>Rust error rate</.exec(svg);
    expect(title).not.toBeNull();
    expect(legend).not.toBeNull();
    expect(Number(legend![2])).toBeGreaterThan(Number(title![2]) + 25);
  });

  it('renders concurrently (one WebAssembly initialisation)', async () => {
    const data = chartData({ breach: true });
    const pngs = await Promise.all([1, 2, 3].map(() => renderGoNoGoChart(data, { width: 500, height: 300 })));
    for (const png of pngs) expect(pngHeader(png)).toEqual({ width: 500, height: 300 });
  });

  it('rejects sizes out of range', async () => {
    const data = chartData({ breach: false });
    expect(() => renderGoNoGoChartSvg(data, { width: 0 })).toThrow(RangeError);
    await expect(renderGoNoGoChart(data, { height: 100_000 })).rejects.toThrow(RangeError);
  });

  it('measures text with the advance widths of the DejaVu fonts that draw it', () => {
    // Values of the hand-written TrueType reader this replaced (head, hhea, hmtx, format-4 cmap).
    expect(measureText('Rust error rate', '11px sans-serif').width).toBeCloseTo(81.060546875, 6);
    expect(measureText('Go/no-go, last 48 h', 'bold 16px sans-serif').width).toBeCloseTo(171.3359375, 6);
    expect(measureText('Nov 22 14:00 \u2013 Nov 24 14:00 UTC', '11px sans-serif').width).toBeCloseTo(186.75830078125, 6);
    expect(measureText('0.1% max', 'bold 11px sans-serif').width).toBeCloseTo(60.3173828125, 6);
    expect(measureText('p99 Rust / Python', '600 12px sans-serif').width).toBeCloseTo(120.55078125, 6);
    expect(measureText('no data in this window', '13px sans-serif').width).toBeCloseTo(146.8974609375, 6);
    // At 2048px (DejaVu's units per em) a width is the advance in font units.
    expect(measureText('W', '2048px sans-serif').width).toBe(2025);
    expect(measureText('W', 'bold 2048px sans-serif').width).toBe(2259);
    expect(measureText('\ue000', '2048px sans-serif').width).toBe(1229); // not in the font: .notdef
    expect(measureText('\u{10300}', '2048px sans-serif').width).toBe(1550); // Old Italic, from the format-12 cmap
    expect(measureText('', '11px sans-serif').width).toBe(0);
  });

  it('lays the legend out with those widths', () => {
    // ECharts steps from one legend item to the next by whole pixels (icon, gaps) plus the width of the
    // item's text as it measured it: with the widths above the fractions cancel out exactly.
    const svg = renderGoNoGoChartSvg(chartData({ breach: true }));
    const names = ['Rust error rate', 'p99 Rust / Python', 'Above threshold', 'Canary weight step'];
    const xs = names.map((name) => {
      const match = new RegExp(`<text[^>]*font-size:11px[^>]*transform="translate\\(([\\d.]+) [\\d.]+\\)"[^>]*>${name.replace('/', '\\/')}<`).exec(svg);
      expect(match, name).not.toBeNull();
      return Number(match![1]);
    });
    for (let i = 0; i + 1 < names.length; i++) {
      const rest = xs[i + 1]! - xs[i]! - measureText(names[i]!, '11px sans-serif').width;
      expect(rest, names[i]).toBeGreaterThan(20);
      expect(rest, names[i]).toBeLessThan(60);
      expect(Math.abs(rest - Math.round(rest)), names[i]).toBeLessThan(0.001);
    }
  });

  it('formats times in UTC', () => {
    expect(formatUtc(Date.UTC(2026, 10, 23, 14, 0))).toBe('Nov 23 14:00');
    expect(formatUtc(Date.UTC(2027, 0, 2, 3, 4))).toBe('Jan 2 03:04');
  });
});
