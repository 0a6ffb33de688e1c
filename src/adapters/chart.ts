// The go/no-go chart of the daily digest: error rate and p99 ratio over the last 48 h, each with its
// threshold, the weight steps marked, rendered to PNG on the server without a browser or native build.
// ECharts renders SVG in SSR mode; resvg (WebAssembly) turns it into PNG with DejaVu Sans shipped by an
// npm package, so it works the same in a slim image; ECharts lays the text out with the same fonts'
// advance widths, read with opentype.js (bundled into the production build: unlike the rest of the chart
// stack it reads no files of its own). The wasm module and the fonts are loaded once.
// Cost, measured on the dev machine: ~0.3-0.5 s for the first render (wasm compile), then ~40-70 ms a
// render (1000x500). Memory: loading ECharts adds ~20 MB; the first PNG adds ~50 MB more, mostly V8's
// optimised code for the resvg wasm, which stays for the life of the process, as do ~6 MB of heap for
// opentype.js and the two parsed fonts.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { initWasm, Resvg } from '@resvg/resvg-wasm';
// Its CommonJS build: the default import is its module.exports, in Node and in the esbuild bundle alike.
// @ts-expect-error -- opentype.js ships no types, and @types/opentype.js would pull the DOM lib into the whole program.
import opentypeUntyped from 'opentype.js';
import type {
  ComposeOption,
  GraphicComponentOption,
  GridComponentOption,
  LegendComponentOption,
  LineSeriesOption,
  ScatterSeriesOption,
  TitleComponentOption,
  VisualMapComponentOption,
  XAXisComponentOption,
  YAXisComponentOption,
} from 'echarts';

/** The part of opentype.js the chart uses. */
interface OpenTypeFont {
  unitsPerEm: number;
  charToGlyphIndex(char: string): number;
  glyphs: { get(index: number): { advanceWidth?: number } };
}
const opentype = opentypeUntyped as { parse(buffer: ArrayBuffer, options?: { lowMemory?: boolean }): OpenTypeFont };

// ECharts' single-file bundle, not its ES module tree: in Node (no bundler to tree-shake) the tree is
// hundreds of modules, ~100 MB more resident memory and a slower first load than this one file.
const require = createRequire(import.meta.url);
const echarts = require('echarts/dist/echarts.min.js') as typeof import('echarts');

export interface ChartSeriesPoint {
  /** Epoch ms. */
  at: number;
  /** null (or a non-finite number) is a gap: no data there. */
  value: number | null;
}

export interface GoNoGoChartData {
  /** Window, epoch ms (48 h). */
  from: number;
  to: number;
  /** Error ratio of the Rust gateway, e.g. 0.0004. */
  errorRate: ChartSeriesPoint[];
  /** Threshold, e.g. 0.001. */
  errorRateMax: number;
  /** Rust p99 / Python p99, e.g. 1.2. */
  p99Ratio: ChartSeriesPoint[];
  /** Threshold, e.g. 1.5. */
  p99RatioMax: number;
  /** Canary weight steps, drawn as vertical markers labelled with the new weight. */
  weightChanges: Array<{ at: number; percent: number }>;
  title?: string;
}

export interface ChartOptions {
  /** Pixels, default 1000. */
  width?: number;
  /** Pixels, default 500. */
  height?: number;
}

type Option = ComposeOption<
  | LineSeriesOption
  | ScatterSeriesOption
  | GridComponentOption
  | TitleComponentOption
  | LegendComponentOption
  | GraphicComponentOption
  | VisualMapComponentOption
>;
type SeriesOption = LineSeriesOption | ScatterSeriesOption;

const FONT_FAMILY = 'DejaVu Sans';
const DEFAULT_WIDTH = 1000;
const DEFAULT_HEIGHT = 500;
const HOUR = 3_600_000;
const BREACH_NAME = 'Above threshold';
const WEIGHT_NAME = 'Canary weight step';
const LEGEND = { itemWidth: 22, itemHeight: 10, itemGap: 16 } as const;

const COLOR = {
  text: '#1f2328',
  muted: '#6e7781',
  axis: '#8c959f',
  split: '#eaeef2',
  errorRate: '#1f6feb',
  p99Ratio: '#0f8a7e',
  breach: '#cf222e',
  breachArea: 'rgba(207, 34, 46, 0.10)',
  weight: '#8250df',
} as const;

// ---------------------------------------------------------------------------------------------------
// Fonts: the TTF buffers for resvg, and their advance widths so ECharts lays text out (legend spacing,
// label overlap) with the metrics of the font that will really draw it.

interface FontMetrics {
  unitsPerEm: number;
  /** Advance width of one character (a whole code point), in font units. */
  advance: (char: string) => number;
}

interface LoadedFont {
  buffer: Uint8Array;
  metrics: FontMetrics;
}

let fonts: { regular: LoadedFont; bold: LoadedFont } | undefined;

function loadFonts(): { regular: LoadedFont; bold: LoadedFont } {
  if (!fonts) {
    const load = (file: string): LoadedFont => {
      // Copied into an ArrayBuffer of its own (a Buffer may be a view into a shared one): opentype.js reads it whole.
      const buffer = new Uint8Array(readFileSync(require.resolve(`dejavu-fonts-ttf/ttf/${file}`)));
      return { buffer, metrics: fontMetrics(buffer.buffer as ArrayBuffer) };
    };
    fonts = { regular: load('DejaVuSans.ttf'), bold: load('DejaVuSans-Bold.ttf') };
  }
  return fonts;
}

/**
 * Advance widths from the font's cmap and hmtx, read with opentype.js. A character the font does not
 * map is measured as its .notdef glyph. lowMemory makes opentype.js read a glyph when it is first
 * asked for instead of all ~6000 up front: measured, that keeps ~2.5 MB per font (the other parsed
 * tables) for the life of the process and loads both fonts in ~25 ms; reading every glyph once and
 * keeping only a width table would keep ~0.5 MB, but takes ~85 ms and ~40 MB of garbage.
 */
function fontMetrics(data: ArrayBuffer): FontMetrics {
  const font = opentype.parse(data, { lowMemory: true });
  const cache = new Map<string, number>();
  return {
    unitsPerEm: font.unitsPerEm,
    advance: (char) => {
      let width = cache.get(char);
      if (width === undefined) {
        width = font.glyphs.get(font.charToGlyphIndex(char)).advanceWidth ?? 0;
        cache.set(char, width);
      }
      return width;
    },
  };
}

/** Text width in pixels as DejaVu Sans draws it, for a CSS font such as 'bold 16px sans-serif' (ECharts' measureText). */
export function measureText(text: string, font?: string): { width: number } {
  const loaded = loadFonts();
  const spec = font ?? '';
  const size = Number(/(\d+(?:\.\d+)?)px/.exec(spec)?.[1] ?? 12);
  const { metrics } = /\b(bold|bolder|[6-9]00)\b/.test(spec) ? loaded.bold : loaded.regular;
  let units = 0;
  for (const char of text) units += metrics.advance(char);
  return { width: (units / metrics.unitsPerEm) * size };
}

echarts.setPlatformAPI({ measureText: measureText as never });

// ---------------------------------------------------------------------------------------------------
// The resvg WebAssembly module: initialised once, on first render.

let wasmReady: Promise<void> | undefined;

function ensureWasm(): Promise<void> {
  wasmReady ??= initWasm(readFileSync(require.resolve('@resvg/resvg-wasm/index_bg.wasm'))).catch((error: unknown) => {
    wasmReady = undefined; // let a later render try again
    throw error;
  });
  return wasmReady;
}

// ---------------------------------------------------------------------------------------------------
// Formatting

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** "Nov 23 14:00" in UTC. */
export function formatUtc(at: number): string {
  const d = new Date(at);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

/** A number without float noise or needless zeros: 0.1, 0.05, 1.5, 12. */
function plain(value: number): string {
  if (value === 0) return '0';
  return String(Number(value.toPrecision(4)));
}

/** Ratio → percent text: 0.001 → "0.1%". */
function percentText(ratio: number): string {
  return `${plain(ratio * 100)}%`;
}

/** An axis maximum and tick step with about `ticks` round ticks covering `max`. */
function niceScale(max: number, ticks = 4): { max: number; interval: number } {
  const safeMax = Number.isFinite(max) && max > 0 ? max : 1;
  const raw = safeMax / ticks;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [0.5, 1, 2, 5, 10].map((m) => m * magnitude).find((s) => Math.ceil(safeMax / s - 1e-9) <= ticks + 1) ?? 10 * magnitude;
  const top = Math.ceil(safeMax / step - 1e-9) * step;
  return { max: Number(top.toPrecision(12)), interval: step };
}

/** A round tick step for the time axis: at most one label per ~120 px. */
function timeInterval(spanMs: number, plotWidth: number): number {
  const maxLabels = Math.max(2, Math.floor(plotWidth / 120));
  const steps = [1, 2, 3, 4, 6, 8, 12, 24, 48, 72, 168].map((h) => h * HOUR);
  return steps.find((s) => spanMs / s <= maxLabels) ?? 168 * HOUR;
}

// ---------------------------------------------------------------------------------------------------
// Data preparation

interface PreparedSeries {
  /** [at, value] with null for gaps, in time order, within the window. */
  points: Array<[number, number | null]>;
  /** Points with a value and no neighbour with one: a line cannot show them, a dot does. */
  isolated: Array<[number, number]>;
  breaches: Array<[number, number]>;
  /** Time ranges in breach, for the shaded bands. */
  breachRanges: Array<[number, number]>;
  max: number | undefined;
  hasData: boolean;
}

function prepare(series: ChartSeriesPoint[], from: number, to: number, scale: number, threshold: number): PreparedSeries {
  const points = series
    .filter((p) => Number.isFinite(p.at) && p.at >= from && p.at <= to)
    .sort((a, b) => a.at - b.at)
    .map((p): [number, number | null] => [p.at, p.value !== null && Number.isFinite(p.value) ? p.value * scale : null]);
  const limit = threshold * scale;
  const isolated: Array<[number, number]> = [];
  const breaches: Array<[number, number]> = [];
  const breachRanges: Array<[number, number]> = [];
  const step = medianStep(points.map((p) => p[0]));
  let max: number | undefined;
  let open: [number, number] | undefined;
  points.forEach(([at, value], i) => {
    const inBreach = value !== null && value > limit;
    if (value !== null) {
      max = max === undefined ? value : Math.max(max, value);
      if ((points[i - 1]?.[1] ?? null) === null && (points[i + 1]?.[1] ?? null) === null) isolated.push([at, value]);
      if (inBreach) breaches.push([at, value]);
    }
    // A breach band spans half a step either side of each breaching sample.
    if (inBreach) {
      const start = Math.max(from, at - step / 2);
      const end = Math.min(to, at + step / 2);
      if (open && start <= open[1] + 1) open[1] = end;
      else {
        if (open) breachRanges.push(open);
        open = [start, end];
      }
    }
  });
  if (open) breachRanges.push(open);
  return { points, isolated, breaches, breachRanges, max, hasData: max !== undefined };
}

function medianStep(times: number[]): number {
  const gaps = times.slice(1).map((t, i) => t - times[i]!).filter((g) => g > 0).sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)] ?? 5 * 60_000;
}

// ---------------------------------------------------------------------------------------------------
// The chart

interface Panel {
  name: string;
  color: string;
  data: PreparedSeries;
  threshold: number;
  thresholdLabel: string;
  axisLabel: (value: number) => string;
  /** Smallest top of the y axis, so a flat series near zero still reads as near zero. */
  floor: number;
}

function hasThreshold(panel: Panel): boolean {
  return Number.isFinite(panel.threshold) && panel.threshold >= 0;
}

function buildOption(data: GoNoGoChartData, width: number, height: number): Option {
  if (!Number.isFinite(data.from) || !Number.isFinite(data.to)) throw new RangeError('chart window is not a finite time range');
  const from = Math.min(data.from, data.to);
  const to = Math.max(data.from, data.to, from + 1);
  const panels: Panel[] = [
    {
      name: 'Rust error rate',
      color: COLOR.errorRate,
      data: prepare(data.errorRate, from, to, 100, data.errorRateMax),
      threshold: data.errorRateMax * 100,
      thresholdLabel: `${percentText(data.errorRateMax)} max`,
      axisLabel: (v) => `${plain(v)}%`,
      floor: 0,
    },
    {
      name: 'p99 Rust / Python',
      color: COLOR.p99Ratio,
      data: prepare(data.p99Ratio, from, to, 1, data.p99RatioMax),
      threshold: data.p99RatioMax,
      thresholdLabel: `${plain(data.p99RatioMax)}x max`,
      axisLabel: (v) => `${plain(v)}x`,
      floor: 1,
    },
  ];

  const weightSteps = data.weightChanges
    .filter((w) => Number.isFinite(w.at) && w.at >= from && w.at <= to)
    .sort((a, b) => a.at - b.at);

  const legendData: NonNullable<LegendComponentOption['data']> = panels.map((panel) => ({ name: panel.name }));
  if (panels.some((panel) => panel.data.breaches.length > 0)) legendData.push({ name: BREACH_NAME });
  if (weightSteps.length > 0) {
    // A dashed stroke like the markers (the default icon of a line series is solid with a dot).
    legendData.push({ name: WEIGHT_NAME, icon: 'path://M0,0h6v2h-6zM9,0h6v2h-6zM18,0h6v2h-6z', itemStyle: { color: COLOR.weight } });
  }
  const title = data.title ?? 'Go/no-go, last 48 h';
  const subtitle = `${formatUtc(from)} – ${formatUtc(to)} UTC`;

  // Layout in pixels: title and legend on top (the legend on a row of its own when both do not fit on
  // one), two plots stacked, time labels under the lower one.
  const legendWidth = legendData.reduce<number>(
    (sum, item) => sum + LEGEND.itemWidth + 5 + measureText(typeof item === 'string' ? item : String(item.name), '11px sans-serif').width,
    LEGEND.itemGap * (legendData.length - 1),
  );
  const titleWidth = Math.max(measureText(title, 'bold 16px sans-serif').width, measureText(subtitle, '11px sans-serif').width);
  const legendOwnRow = 16 + titleWidth + 24 + legendWidth + 16 > width;
  const left = 64;
  const right = 96; // room for the threshold labels at the right end of their lines
  const top = legendOwnRow ? 106 : 78;
  const bottom = 34;
  const gap = 44; // between the plots: the lower plot's name and the upper plot's weight labels
  const plotHeight = Math.max(40, (height - top - bottom - gap) / 2);
  const plotWidth = Math.max(40, width - left - right);
  const grids: GridComponentOption[] = [
    { left, right, top, height: plotHeight },
    { left, right, top: top + plotHeight + gap, height: plotHeight },
  ];
  const interval = timeInterval(to - from, plotWidth);

  const xAxes: XAXisComponentOption[] = panels.map((_, i) => ({
    type: 'time',
    gridIndex: i,
    min: from,
    max: to,
    minInterval: interval,
    maxInterval: interval,
    axisLine: { show: true, lineStyle: { color: COLOR.axis } },
    axisTick: { show: i === 1, lineStyle: { color: COLOR.axis } },
    splitLine: { show: true, lineStyle: { color: COLOR.split } },
    axisLabel: {
      show: i === 1,
      color: COLOR.muted,
      fontSize: 11,
      showMinLabel: false,
      showMaxLabel: false,
      hideOverlap: true,
      formatter: (value: number) => formatUtc(value),
    },
  }));

  const yAxes: YAXisComponentOption[] = panels.map((panel, i) => {
    const scale = niceScale(Math.max(panel.floor, hasThreshold(panel) ? panel.threshold * 1.2 : 0, (panel.data.max ?? 0) * 1.08));
    return {
      type: 'value',
      gridIndex: i,
      min: 0,
      max: scale.max,
      interval: scale.interval,
      name: panel.name,
      nameLocation: 'end',
      nameGap: 10,
      nameTextStyle: { color: COLOR.text, fontSize: 12, fontWeight: 'bold', align: 'left', padding: [0, 0, 0, -left + 16] },
      axisLine: { show: false },
      axisTick: { show: false },
      splitLine: { lineStyle: { color: COLOR.split } },
      axisLabel: { color: COLOR.muted, fontSize: 11, formatter: (value: number) => panel.axisLabel(value) },
    };
  });

  const series: SeriesOption[] = [];
  const visualMaps: VisualMapComponentOption[] = [];
  panels.forEach((panel, i) => {
    series.push({
      type: 'line',
      name: panel.name,
      xAxisIndex: i,
      yAxisIndex: i,
      data: panel.data.points,
      connectNulls: false,
      showSymbol: false,
      symbol: 'none',
      // Colour from the visual map below (red above the threshold); plain without a threshold.
      lineStyle: hasThreshold(panel) ? { width: 1.6 } : { width: 1.6, color: panel.color },
      itemStyle: { color: panel.color },
      z: 3,
      markLine: {
        silent: true,
        symbol: 'none',
        animation: false,
        data: hasThreshold(panel) ? [
          {
            yAxis: panel.threshold,
            lineStyle: { color: COLOR.breach, type: 'dashed', width: 1.5 },
            label: { formatter: panel.thresholdLabel, position: 'end', color: COLOR.breach, fontSize: 11, fontWeight: 'bold' },
          },
        ] : [],
      },
      markArea: {
        silent: true,
        animation: false,
        itemStyle: { color: COLOR.breachArea },
        data: panel.data.breachRanges.map(([start, end]) => [{ xAxis: start }, { xAxis: end }]),
      },
    });
    // Line segments above the threshold turn red.
    if (hasThreshold(panel)) visualMaps.push({
      type: 'piecewise',
      show: false,
      seriesIndex: series.length - 1,
      dimension: 1,
      // A finite middle piece: with only open-ended pieces ECharts has no colour stops and throws.
      pieces: [
        { lt: 0, color: panel.color },
        { gte: 0, lte: panel.threshold, color: panel.color },
        { gt: panel.threshold, color: COLOR.breach },
      ],
    });
    if (panel.data.isolated.length > 0) {
      series.push({
        type: 'scatter',
        name: panel.name,
        xAxisIndex: i,
        yAxisIndex: i,
        data: panel.data.isolated,
        symbolSize: 4,
        itemStyle: { color: panel.color },
        z: 4,
      });
    }
    if (panel.data.breaches.length > 0) {
      series.push({
        type: 'scatter',
        name: BREACH_NAME,
        xAxisIndex: i,
        yAxisIndex: i,
        data: panel.data.breaches,
        symbolSize: 5,
        itemStyle: { color: COLOR.breach },
        z: 5,
      });
    }
    // Weight steps: a line-less series carrying the markers, named for the legend.
    series.push({
      type: 'line',
      name: WEIGHT_NAME,
      xAxisIndex: i,
      yAxisIndex: i,
      data: [],
      symbol: 'none',
      lineStyle: { color: COLOR.weight, type: 'dashed', width: 1.2 },
      itemStyle: { color: COLOR.weight },
      markLine: {
        silent: true,
        symbol: 'none',
        animation: false,
        lineStyle: { color: COLOR.weight, type: 'dashed', width: 1.2 },
        label: { position: 'end', color: COLOR.weight, fontSize: 11, fontWeight: 'bold', distance: 3 },
        data: weightSteps.map((w) => ({ xAxis: w.at, label: { formatter: `${plain(w.percent)}%` } })),
      },
    });
  });

  const graphics: GraphicComponentOption[] = [];
  panels.forEach((panel, i) => {
    if (panel.data.hasData) return;
    const grid = grids[i]!;
    graphics.push({
      type: 'text',
      x: left + plotWidth / 2,
      y: (grid.top as number) + plotHeight / 2,
      silent: true,
      z: 10,
      style: {
        text: 'no data in this window',
        fill: COLOR.muted,
        fontSize: 13,
        fontFamily: FONT_FAMILY,
        align: 'center',
        verticalAlign: 'middle',
        backgroundColor: '#ffffff',
        padding: [4, 10],
      },
    });
  });

  return {
    animation: false,
    useUTC: true,
    backgroundColor: '#ffffff',
    textStyle: { fontFamily: FONT_FAMILY, color: COLOR.text },
    title: {
      text: title,
      subtext: subtitle,
      left: 16,
      top: 10,
      itemGap: 6,
      textStyle: { fontSize: 16, fontWeight: 'bold', color: COLOR.text, fontFamily: FONT_FAMILY },
      subtextStyle: { fontSize: 11, color: COLOR.muted, fontFamily: FONT_FAMILY },
    },
    legend: {
      data: legendData,
      ...(legendOwnRow ? { left: 16, top: 52 } : { right: 16, top: 14 }),
      ...LEGEND,
      textStyle: { fontSize: 11, color: COLOR.text, fontFamily: FONT_FAMILY },
    },
    grid: grids,
    xAxis: xAxes,
    yAxis: yAxes,
    visualMap: visualMaps,
    series,
    graphic: graphics,
  };
}

function sizeOf(options: ChartOptions | undefined): { width: number; height: number } {
  const width = Math.round(options?.width ?? DEFAULT_WIDTH);
  const height = Math.round(options?.height ?? DEFAULT_HEIGHT);
  if (!(width >= 200 && width <= 8000 && height >= 150 && height <= 8000)) {
    throw new RangeError(`chart size ${width}x${height} is out of range (200..8000 x 150..8000)`);
  }
  return { width, height };
}

/** The chart as an SVG document (what the PNG is drawn from). */
export function renderGoNoGoChartSvg(data: GoNoGoChartData, options?: ChartOptions): string {
  const { width, height } = sizeOf(options);
  loadFonts();
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption(buildOption(data, width, height));
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/** The chart as PNG bytes, exactly width x height. */
export async function renderGoNoGoChart(data: GoNoGoChartData, options?: ChartOptions): Promise<Buffer> {
  const { width } = sizeOf(options);
  const svg = renderGoNoGoChartSvg(data, options);
  await ensureWasm();
  const { regular, bold } = loadFonts();
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'width', value: width },
    background: '#ffffff',
    font: {
      fontBuffers: [regular.buffer, bold.buffer],
      defaultFontFamily: FONT_FAMILY,
      sansSerifFamily: FONT_FAMILY,
      defaultFontSize: 12,
    },
  });
  try {
    const image = resvg.render();
    try {
      return Buffer.from(image.asPng());
    } finally {
      image.free();
    }
  } finally {
    resvg.free();
  }
}
