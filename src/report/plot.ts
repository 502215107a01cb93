// Plots as inline SVG, drawn by Observable Plot on a server-side DOM (linkedom): the report is
// one self-contained HTML file that opens offline.
import * as Plot from "@observablehq/plot";
import { parseHTML } from "linkedom";

/** Render a Plot spec (520 × 280 unless it says otherwise) to its HTML (an <svg>, or a <figure> holding the legend and the <svg>). */
export function plotHtml(options: Plot.PlotOptions): string {
  const { document } = parseHTML("<!doctype html><html><body></body></html>");
  const el = Plot.plot({ width: 520, height: 280, ...options, document: document as unknown as Document });
  return (el as unknown as { outerHTML: string }).outerHTML;
}

export { Plot };
