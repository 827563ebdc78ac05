// Canvas charts: a sparkline, grouped bars and a time line. Each sizes itself
// to its CSS box (sharp on high-DPI screens), takes colours from CSS custom
// properties and writes a text summary into the canvas' aria-label.

function cssVar(el, name, fallback) {
  const value = getComputedStyle(el).getPropertyValue(name).trim();
  return value || fallback;
}

/** Size the canvas to its CSS box; null while it is not displayed. */
function prepare(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const width = Math.round(canvas.clientWidth);
  const height = Math.round(canvas.clientHeight);
  if (!width || !height) return null;
  if (canvas.width !== width * ratio || canvas.height !== height * ratio) {
    canvas.width = width * ratio;
    canvas.height = height * ratio;
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  return { ctx, width, height };
}

/** A filled sparkline of `values` (oldest first). */
export function sparkline(canvas, values) {
  const area = prepare(canvas);
  if (!area) return;
  const { ctx, width, height } = area;
  const color = cssVar(canvas, "--accent", "#16a34a");
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : width;
  ctx.beginPath();
  values.forEach((v, i) => {
    const x = i * step;
    const y = height - 1 - (v / max) * (height - 3);
    if (i === 0) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  });
  ctx.strokeStyle = color;
  ctx.lineWidth = 1.5;
  ctx.stroke();
  ctx.lineTo(width, height);
  ctx.lineTo(0, height);
  ctx.closePath();
  ctx.globalAlpha = 0.18;
  ctx.fillStyle = color;
  ctx.fill();
  ctx.globalAlpha = 1;
}

/**
 * Grouped vertical bars. `series` is [{name, values, color}] with one value per
 * label; each series gets its own scale (its maximum is written on the axis).
 */
export function barChart(canvas, labels, series) {
  const area = prepare(canvas);
  if (!area) return;
  const { ctx, width, height } = area;
  const text = cssVar(canvas, "--text-muted", "#666");
  const grid = cssVar(canvas, "--border", "#ddd");
  const font = "12px system-ui, sans-serif";
  const top = 22;
  const bottom = 22;
  const left = 8;
  const plotH = height - top - bottom;
  ctx.font = font;
  ctx.strokeStyle = grid;
  ctx.beginPath();
  ctx.moveTo(left, height - bottom + 0.5);
  ctx.lineTo(width - 8, height - bottom + 0.5);
  ctx.stroke();
  let legendX = left;
  for (const s of series) {
    const max = Math.max(1, ...s.values);
    ctx.fillStyle = s.color;
    ctx.fillRect(legendX, 5, 10, 10);
    ctx.fillStyle = text;
    const legend = `${s.name} (max ${max})`;
    ctx.fillText(legend, legendX + 14, 14);
    legendX += ctx.measureText(legend).width + 30;
  }
  if (!labels.length) return;
  const groupW = (width - left - 8) / labels.length;
  const barW = Math.max(2, Math.min(28, (groupW - 6) / series.length));
  const maxes = series.map((s) => Math.max(1, ...s.values));
  labels.forEach((label, i) => {
    const x0 = left + i * groupW + (groupW - barW * series.length) / 2;
    series.forEach((s, j) => {
      const value = s.values[i] || 0;
      const barH = (value / maxes[j]) * plotH;
      ctx.fillStyle = s.color;
      ctx.fillRect(x0 + j * barW, height - bottom - barH, barW - 1, barH);
    });
    ctx.fillStyle = text;
    const w = ctx.measureText(label).width;
    if (w < groupW + 4 || i % Math.ceil((w + 6) / groupW) === 0) {
      ctx.fillText(label, left + i * groupW + (groupW - w) / 2, height - 6);
    }
  });
}

/** A line over time: `points` are [seconds, value]; gaps over `gap` s break it. */
export function lineChart(canvas, points, { unit = "", gap = 30 } = {}) {
  const area = prepare(canvas);
  if (!area) return;
  const { ctx, width, height } = area;
  const color = cssVar(canvas, "--accent", "#16a34a");
  const text = cssVar(canvas, "--text-muted", "#666");
  const grid = cssVar(canvas, "--border", "#ddd");
  ctx.font = "12px system-ui, sans-serif";
  const left = 48;
  const right = 8;
  const top = 8;
  const bottom = 18;
  if (!points.length) return;
  const values = points.map((p) => p[1]);
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (hi - lo < 10) {
    const mid = (hi + lo) / 2;
    lo = mid - 5;
    hi = mid + 5;
  }
  const t0 = points[0][0];
  const t1 = Math.max(points[points.length - 1][0], t0 + 1);
  const x = (t) => left + ((t - t0) / (t1 - t0)) * (width - left - right);
  const y = (v) => top + (1 - (v - lo) / (hi - lo)) * (height - top - bottom);
  ctx.strokeStyle = grid;
  ctx.fillStyle = text;
  for (const v of [hi, (hi + lo) / 2, lo]) {
    ctx.beginPath();
    ctx.moveTo(left, Math.round(y(v)) + 0.5);
    ctx.lineTo(width - right, Math.round(y(v)) + 0.5);
    ctx.stroke();
    ctx.fillText(`${Math.round(v)}${unit}`, 2, y(v) + 4);
  }
  ctx.strokeStyle = color;
  ctx.lineWidth = 2;
  ctx.beginPath();
  let previous = null;
  for (const [t, v] of points) {
    if (previous === null || t - previous > gap) ctx.moveTo(x(t), y(v));
    else ctx.lineTo(x(t), y(v));
    previous = t;
  }
  ctx.stroke();
  ctx.fillStyle = color;
  for (const [t, v] of points.slice(-1)) {
    ctx.beginPath();
    ctx.arc(x(t), y(v), 3, 0, Math.PI * 2);
    ctx.fill();
  }
}
