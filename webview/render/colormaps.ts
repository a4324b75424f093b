// Colormaps as 256-entry lookup tables, and the value → colour scale. Pure: no
// DOM, so it is unit-tested in Node. Signed data gets a diverging map centred at
// 0; other data a sequential one.

import type { PanelText } from '../../src/l10n/panelText';

export type ColormapName = 'viridis' | 'cividis' | 'magma' | 'gray' | 'rdbu' | 'puor' | 'coolwarm';
export type ColormapKind = 'sequential' | 'diverging';

interface ColormapSpec {
  kind: ColormapKind;
  /** Evenly spaced stops, low to high. */
  stops: string[];
  colourBlindSafe: boolean;
}

export const COLORMAPS: Record<ColormapName, ColormapSpec> = {
  viridis: { kind: 'sequential', colourBlindSafe: true,
    stops: ['#440154', '#482878', '#3e4989', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#b5de2b', '#fde725'] },
  cividis: { kind: 'sequential', colourBlindSafe: true,
    stops: ['#00224e', '#123570', '#3b496c', '#575d6d', '#707173', '#8a8678', '#a59c74', '#c3b369', '#e1cc55', '#fee838'] },
  magma: { kind: 'sequential', colourBlindSafe: true,
    stops: ['#000004', '#180f3d', '#440f76', '#721f81', '#9e2f7f', '#cd4071', '#f1605d', '#fd9668', '#feca8d', '#fcfdbf'] },
  gray: { kind: 'sequential', colourBlindSafe: true, stops: ['#000000', '#ffffff'] },
  rdbu: { kind: 'diverging', colourBlindSafe: false,
    stops: ['#2166ac', '#4393c3', '#92c5de', '#d1e5f0', '#f7f7f7', '#fddbc7', '#f4a582', '#d6604d', '#b2182b'] },
  puor: { kind: 'diverging', colourBlindSafe: true,
    stops: ['#2d004b', '#542788', '#8073ac', '#b2abd2', '#d8daeb', '#f7f7f7', '#fee0b6', '#fdb863', '#e08214', '#b35806', '#7f3b08'] },
  coolwarm: { kind: 'diverging', colourBlindSafe: false,
    stops: ['#3b4cc0', '#6788ee', '#9abbff', '#c9d7f0', '#edd1c2', '#f7a889', '#e26952', '#b40426'] },
};

/** What the user picks: a pair (sequential for unsigned data, diverging for signed), or one map for everything. */
export type ColorScheme = 'auto' | 'colourblind' | ColormapName;

/** Each scheme's name in the panel's catalog, in the order the Colours menu lists them. */
const SCHEME_LABELS: Record<ColorScheme, 'schemeAuto' | 'schemeColourblind' | `colormap${Capitalize<ColormapName>}`> = {
  auto: 'schemeAuto', colourblind: 'schemeColourblind',
  viridis: 'colormapViridis', cividis: 'colormapCividis', magma: 'colormapMagma', gray: 'colormapGray', rdbu: 'colormapRdbu', puor: 'colormapPuor', coolwarm: 'colormapCoolwarm',
};

/** The Colours menu, in the panel's language. */
export function schemeOptions(text: PanelText): { value: ColorScheme; label: string }[] {
  return (Object.keys(SCHEME_LABELS) as ColorScheme[]).map(value => ({ value, label: text[SCHEME_LABELS[value]] }));
}

export function colormapFor(scheme: ColorScheme, signed: boolean): ColormapName {
  if (scheme === 'auto') return signed ? 'rdbu' : 'viridis';
  if (scheme === 'colourblind') return signed ? 'puor' : 'cividis';
  return scheme;
}

function parseHex(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** 256 colours interpolated between the stops, as [r, g, b]. */
export function rgbTable(name: ColormapName): Uint8ClampedArray {
  const stops = COLORMAPS[name].stops.map(parseHex);
  const table = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = (i / 255) * (stops.length - 1);
    const lo = Math.min(Math.floor(t), stops.length - 2);
    const f = t - lo;
    for (let ch = 0; ch < 3; ch++) table[i * 3 + ch] = Math.round(stops[lo][ch] * (1 - f) + stops[lo + 1][ch] * f);
  }
  return table;
}

const lutCache = new Map<ColormapName, Uint32Array>();

/** The table packed for ImageData on little-endian machines (0xAABBGGRR). */
export function packedTable(name: ColormapName): Uint32Array {
  let lut = lutCache.get(name);
  if (!lut) {
    const rgb = rgbTable(name);
    lut = new Uint32Array(256);
    for (let i = 0; i < 256; i++) lut[i] = (255 << 24 | rgb[i * 3 + 2] << 16 | rgb[i * 3 + 1] << 8 | rgb[i * 3]) >>> 0;
    lutCache.set(name, lut);
  }
  return lut;
}

export interface Scale {
  kind: ColormapKind;
  /** Value at the low end (diverging: -max|v|). */
  lo: number;
  /** Value at the high end. */
  hi: number;
}

/** Diverging and symmetric around 0 when the data has both signs; sequential otherwise. */
export function scaleFor(min: number, max: number): Scale {
  if (min < 0 && max > 0) {
    const m = Math.max(-min, max);
    return { kind: 'diverging', lo: -m, hi: m };
  }
  if (min === max) return { kind: 'sequential', lo: min - 1, hi: max + 1 };
  return { kind: 'sequential', lo: min, hi: max };
}

/** Table index 0..255 of a finite value; -1 for NaN and ±Infinity. */
export function colourIndex(v: number, scale: Scale): number {
  if (v !== v || v === Infinity || v === -Infinity) return -1;
  const t = (v - scale.lo) / (scale.hi - scale.lo);
  return t <= 0 ? 0 : t >= 1 ? 255 : Math.round(t * 255);
}

/** Relative luminance of a table entry, to choose black or white text on it. */
export function luminance(table: Uint8ClampedArray, index: number): number {
  const f = (c: number) => { const x = c / 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * f(table[index * 3]) + 0.7152 * f(table[index * 3 + 1]) + 0.0722 * f(table[index * 3 + 2]);
}
