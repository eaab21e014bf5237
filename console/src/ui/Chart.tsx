// A time-series chart (uPlot: small and fast, canvas-drawn): one x axis of times, bars or lines of
// counts on the left axis, and optionally lines of milliseconds on the right one. Colours come from
// the theme's variables, so it follows light and dark.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color: string;     // a CSS variable name, e.g. "--tool"
  axis: 'count' | 'ms';
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

export function Chart({ times, series, label, height = 200 }: { times: number[]; series: ChartSeries[]; label: string; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = series.map((s) => `${s.label}:${s.axis}`).join();

  useEffect(() => {
    const element = box.current!;
    const text = cssVar('--muted');
    const grid = cssVar('--line');
    const axis = (scale: string, side?: number, unit = '') => ({
      scale, side, size: 64, stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid },
      values: (_: uPlot, ticks: number[]) => ticks.map((t) => (t >= 1000 && unit ? `${(t / 1000).toFixed(1)} s` : `${Math.round(t * 10) / 10}${unit}`)),
    });
    const options: uPlot.Options = {
      width: element.clientWidth || 600, height,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, count: { range: (_u, _min, max) => [0, Math.max(1, max)] }, ms: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      axes: [{ stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } }, axis('count'),
             ...(series.some((s) => s.axis === 'ms') ? [axis('ms', 1, ' ms')] : [])],
      series: [{}, ...series.map((s) => ({
        label: s.label, scale: s.axis, stroke: cssVar(s.color), width: 2,
        fill: s.axis === 'count' ? cssVar(s.color) + '33' : undefined, spanGaps: s.axis === 'ms',
        points: { show: false },
      }))],
    };
    plot.current = new uPlot(options, [times, ...series.map((s) => s.values)] as uPlot.AlignedData, element);
    const observer = new ResizeObserver(() => plot.current?.setSize({ width: element.clientWidth, height }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [shape, height]);

  useEffect(() => {
    plot.current?.setData([times, ...series.map((s) => s.values)] as uPlot.AlignedData);
  }, [times, series]);

  return <div class="chart" ref={box} role="img" aria-label={label} />;
}
