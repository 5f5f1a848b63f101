// The drawing pad: signature_pad (vendored by make) on a canvas sized for the screen's pixel ratio.

/**
 * Attach a pad to `canvas` (inside a sized frame). `strokes` restores an earlier drawing;
 * `onChange(strokes)` follows every finished stroke, clear and undo.
 */
export function createPad(canvas, { strokes = [], onChange = () => {} } = {}) {
  const SignaturePad = window.SignaturePad;
  if (!SignaturePad) throw new Error('signature_pad is not loaded');
  const pad = new SignaturePad(canvas, { penColor: '#14284b', minWidth: 0.8, maxWidth: 2.8, throttle: 16 });
  let lastWidth = 0;

  // A canvas has its own pixel grid: make it devicePixelRatio times its CSS size so lines stay
  // sharp, and redraw the strokes (kept in CSS pixels) after every resize.
  function fit() {
    const ratio = Math.max(window.devicePixelRatio || 1, 1);
    const width = canvas.offsetWidth;
    const height = canvas.offsetHeight;
    if (!width || !height || (width === lastWidth && canvas.width === Math.round(width * ratio))) return;
    lastWidth = width;
    const kept = pad.toData();
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.getContext('2d').scale(ratio, ratio);
    pad.clear();
    if (kept.length) pad.fromData(kept);
  }

  const observer = new ResizeObserver(() => fit());
  observer.observe(canvas);
  fit();
  if (strokes.length) pad.fromData(strokes);
  pad.addEventListener('endStroke', () => onChange(pad.toData()));

  return {
    isEmpty: () => pad.isEmpty(),
    clear() {
      pad.clear();
      onChange([]);
    },
    undo() {
      const data = pad.toData();
      data.pop();
      pad.fromData(data);
      onChange(data);
    },
    toPng: () => pad.toDataURL('image/png'),
    destroy() {
      observer.disconnect();
      pad.off();
    },
  };
}
