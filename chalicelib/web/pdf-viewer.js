// The document, read in the page: PDF.js (vendored by make) draws each page on a canvas, in a worker
// from this origin (the CSP's worker-src 'self'). Each page's text sits beside its picture for screen
// readers; zoom buttons and the browser's own pinch zoom make it readable on a phone.

import { fileBytes } from './api.js';
import { h, mount } from './dom.js';
import { locale, t } from './i18n.js';
import { alert } from './ui.js';

const ZOOMS = [1, 1.5, 2, 3];
const MAX_CANVAS_PIXELS = 16_000_000;  // what phones still draw; a sharper page is not worth a blank one
const downloads = new Map();  // document id → its bytes, so a re-render (a language switch) downloads nothing
let library = null;

function pdfjs() {
  if (!library) {
    // Loaded on first use only: the overview and the other steps never pay for it.
    library = import('./pdf.min.js').then((lib) => {
      lib.GlobalWorkerOptions.workerSrc = new URL('./pdf.worker.min.js', import.meta.url).href;
      return lib;
    });
    library.catch(() => { library = null; });
  }
  return library;
}

function bytesOf(doc) {
  if (!downloads.has(doc.id)) {
    const loading = fileBytes(doc.download_url);
    downloads.set(doc.id, loading);
    loading.catch(() => downloads.delete(doc.id));
  }
  return downloads.get(doc.id);
}

/**
 * A viewer for `doc` (its presigned `download_url`). `onShown()` runs once the first page is on the
 * screen; `onFailed(error)` when the document cannot be shown (the download is still offered beside it).
 * `view` keeps the zoom across re-renders ({zoom: index}).
 */
export function documentViewer(doc, { onShown = () => {}, onFailed = () => {}, view = { zoom: 0 } } = {}) {
  const status = h('p', { class: 'pdf-status muted small', role: 'status', text: t('viewer.loading') });
  const pages = h('div', { class: 'pdf-pages', tabindex: '0', role: 'region', 'aria-label': t('viewer.pages', { filename: doc.filename }) });
  const level = h('span', { class: 'pdf-zoom-level', 'aria-live': 'polite' });
  const smaller = h('button', { type: 'button', class: 'btn btn-quiet', 'aria-label': t('viewer.zoom_out'), text: '−', onclick: () => zoomTo(view.zoom - 1) });
  const larger = h('button', { type: 'button', class: 'btn btn-quiet', 'aria-label': t('viewer.zoom_in'), text: '+', onclick: () => zoomTo(view.zoom + 1) });
  const fit = h('button', { type: 'button', class: 'btn btn-quiet', text: t('viewer.fit'), onclick: () => zoomTo(0) });
  const tools = h('div', { class: 'row pdf-tools', role: 'group', 'aria-label': t('viewer.zoom') }, smaller, level, larger, fit);
  const viewer = h('div', { class: 'pdf-viewer' }, tools, status, pages);
  let pdf = null;
  let generation = 0;
  let width = 0;
  let shown = false;
  let task = null;  // the page being drawn

  function showLevel() {
    level.textContent = `${new Intl.NumberFormat(locale(), { style: 'percent' }).format(ZOOMS[view.zoom])}`;
    smaller.disabled = view.zoom === 0;
    larger.disabled = view.zoom === ZOOMS.length - 1;
    fit.disabled = view.zoom === 0;
    pages.className = `pdf-pages zoom-${view.zoom}`;
  }

  function zoomTo(index) {
    view.zoom = Math.min(Math.max(index, 0), ZOOMS.length - 1);
    showLevel();
    draw().catch(() => {});
  }

  async function draw() {
    const run = ++generation;
    task?.cancel();
    width = pages.clientWidth;
    if (!pdf || !width) return;
    const ratio = Math.max(window.devicePixelRatio || 1, 1);
    for (let n = 1; n <= pdf.numPages; n += 1) {
      const page = await pdf.getPage(n);
      if (run !== generation) return;
      const figure = pageFigure(n, pdf.numPages);
      const natural = page.getViewport({ scale: 1 });
      const cssWidth = (width - 2) * ZOOMS[view.zoom];  // the frame's border
      let scale = (cssWidth / natural.width) * ratio;
      const pixels = natural.width * natural.height * scale * scale;
      if (pixels > MAX_CANVAS_PIXELS) scale *= Math.sqrt(MAX_CANVAS_PIXELS / pixels);
      const viewport = page.getViewport({ scale });
      const canvas = figure.querySelector('canvas');
      canvas.width = Math.floor(viewport.width);
      canvas.height = Math.floor(viewport.height);
      task = page.render({ canvas, canvasContext: canvas.getContext('2d'), viewport });
      try {
        await task.promise;
      } catch (error) {
        if (error?.name === 'RenderingCancelledException') return;  // a newer drawing took over
        throw error;
      }
      if (run !== generation) return;
      if (!figure.dataset.text) {
        const content = await page.getTextContent();
        const text = content.items.map((item) => `${item.str}${item.hasEOL ? '\n' : ''}`).join('').trim();
        figure.dataset.text = '1';
        figure.querySelector('.visually-hidden').textContent = text || t('viewer.no_text');
      }
      if (n === 1 && !shown) {
        shown = true;
        status.textContent = t(`viewer.pages_count.${new Intl.PluralRules(locale()).select(pdf.numPages)}`, { n: pdf.numPages });
        onShown();
      }
    }
  }

  const figures = new Map();
  function pageFigure(n, total) {
    if (!figures.has(n)) {
      const figure = h('div', { class: 'pdf-page', role: 'group', 'aria-label': t('viewer.page', { n, total }) },
        h('canvas', { 'aria-hidden': 'true' }),
        h('div', { class: 'visually-hidden prewrap' }));
      figures.set(n, figure);
      pages.append(figure);
    }
    return figures.get(n);
  }

  showLevel();
  // Sharp again after a turn of the phone or a wider window: the pages are drawn anew at the new width.
  let resized = 0;
  new ResizeObserver(() => {
    if (!viewer.isConnected || Math.abs(pages.clientWidth - width) < 8) return;
    clearTimeout(resized);
    resized = setTimeout(() => draw().catch(() => {}), 150);
  }).observe(pages);

  Promise.all([pdfjs(), bytesOf(doc)]).then(async ([lib, bytes]) => {
    // A copy: the worker takes the buffer it is given, and a re-render needs it again.
    // Scanned pages: JPEG 2000 images decode with PDF.js's JavaScript decoder from /static/, JBIG2 with its
    // built-in one; no WebAssembly, so the CSP needs no 'wasm-unsafe-eval'.
    pdf = await lib.getDocument({
      data: bytes.slice(0), isEvalSupported: false, enableXfa: false, useWasm: false, wasmUrl: '/static/',
    }).promise;
    await draw();
  }).catch((error) => {
    mount(status, alert('warn', t('viewer.failed')));
    status.removeAttribute('role');
    pages.hidden = true;
    tools.hidden = true;
    onFailed(error);
  });
  return viewer;
}
