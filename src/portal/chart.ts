// A small inline SVG bar chart (no script), with a title, an accessible description and a data
// table fallback next to it in the page.
import { html, type SafeHtml } from './html.ts';

export interface Point {
  label: string;
  value: number;
}

export function barChart(title: string, points: Point[], options: { unit?: string; color?: string } = {}): SafeHtml {
  const width = 360;
  const height = 160;
  const pad = { top: 12, right: 8, bottom: 28, left: 44 };
  const max = Math.max(1, ...points.map((p) => p.value));
  const inner = { w: width - pad.left - pad.right, h: height - pad.top - pad.bottom };
  const step = points.length ? inner.w / points.length : inner.w;
  const id = `chart-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  const desc = points.map((p) => `${p.label}: ${p.value}${options.unit ? ` ${options.unit}` : ''}`).join('; ');
  return html`<figure class="chart">
  <svg viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${id}-t ${id}-d" preserveAspectRatio="xMidYMid meet">
    <title id="${id}-t">${title}</title><desc id="${id}-d">${desc || 'no data yet'}</desc>
    <line x1="${pad.left}" y1="${pad.top + inner.h}" x2="${width - pad.right}" y2="${pad.top + inner.h}" class="axis" />
    <text x="${pad.left - 4}" y="${pad.top + 4}" text-anchor="end" class="tick">${formatTick(max)}</text>
    <text x="${pad.left - 4}" y="${pad.top + inner.h}" text-anchor="end" class="tick">0</text>
    ${points.map((p, i) => {
      const h = (p.value / max) * inner.h;
      const x = pad.left + i * step + step * 0.15;
      return html`<rect x="${x.toFixed(1)}" y="${(pad.top + inner.h - h).toFixed(1)}" width="${(step * 0.7).toFixed(1)}" height="${h.toFixed(1)}" fill="${options.color ?? '#2b6cb0'}"><title>${p.label}: ${p.value}</title></rect>
    <text x="${(x + step * 0.35).toFixed(1)}" y="${height - 10}" text-anchor="middle" class="tick">${p.label.slice(2)}</text>`;
    })}
  </svg>
  <figcaption>${title}</figcaption>
</figure>`;
}

function formatTick(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(1)}k` : String(Math.round(n * 100) / 100);
}
