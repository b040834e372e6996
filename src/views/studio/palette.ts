// The run colours, by a run's place in the comparison: the Okabe–Ito palette (distinguishable with every common
// colour-vision deficiency) for lines, fills and borders, and for text a darker shade of the same hue. Most of the
// palette is too light for text (orange #e69f00 is 2.1:1 on the page); each text shade is the line colour scaled
// towards black until it reaches 4.5:1 (WCAG AA) on the darkest surface a label sits on (--surface-sunken), with a
// little margin. test/unit/views/palette.test.ts checks every text shade against theme.css's surfaces.
// No React or store here, so the palette can be read anywhere (views, exports, tests).

export interface RunColor {
  /** Lines, fills, borders, swatches: the palette colour itself. */
  line: string;
  /** Text (labels, headers): the same hue, dark enough to read. */
  text: string;
}

export const RUN_COLORS: readonly RunColor[] = [
  { line: '#0072b2', text: '#006fad' }, // blue
  { line: '#e69f00', text: '#8c6100' }, // orange
  { line: '#009e73', text: '#007857' }, // bluish green
  { line: '#cc79a7', text: '#935778' }, // reddish purple
  { line: '#56b4e9', text: '#357090' }, // sky blue
  { line: '#d55e00', text: '#af4d00' }, // vermillion
];

/** The colours of the run at this place in the comparison (the palette repeats past six). */
export function runColor(position: number): RunColor {
  return RUN_COLORS[position % RUN_COLORS.length];
}
