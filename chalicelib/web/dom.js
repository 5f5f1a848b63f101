// Building the DOM safely: every piece of data goes in as text (textContent), never as HTML.

import { locale } from './i18n.js';

const FORBIDDEN_PROPS = new Set(['style', 'innerHTML', 'outerHTML', 'srcdoc']);

/**
 * Create an element. `props`: `class`, `text`, `on<event>` handlers, booleans (set when true),
 * any other attribute as a string. Children: nodes, strings (as text), arrays; null/false skipped.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (FORBIDDEN_PROPS.has(key)) throw new Error(`h(): ${key} is not allowed`);
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = String(value);
    else if (key === 'value') el.value = String(value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2).toLowerCase(), value);
    else if (key === 'href' || key === 'src') el.setAttribute(key, safeUrl(value));
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, ...children);
  return el;
}

/** Append children to `el` (strings as text; null, undefined and false skipped). */
export function append(el, ...children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, ...child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace everything inside `el`. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, ...children);
  return el;
}

/** Only relative links, http(s) and data:image URLs survive; anything else becomes '#'. */
export function safeUrl(value) {
  const url = String(value);
  if (url.startsWith('#') || url.startsWith('/') || url.startsWith('./') || /^[a-z0-9_-]+(\/|$|\?|#)/i.test(url)) {
    return url.startsWith('//') ? '#' : url;
  }
  if (/^https?:\/\//i.test(url) || /^data:image\/png;base64,[a-z0-9+/=]+$/i.test(url)) return url;
  return '#';
}

/** An inline SVG icon from a path list (no markup strings). */
export function icon(name, cls = '') {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('fill', 'none');
  svg.setAttribute('stroke', 'currentColor');
  svg.setAttribute('stroke-width', '2');
  svg.setAttribute('stroke-linecap', 'round');
  svg.setAttribute('stroke-linejoin', 'round');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  if (cls) svg.setAttribute('class', cls);
  for (const d of ICONS[name] || []) {
    const path = document.createElementNS(ns, 'path');
    path.setAttribute('d', d);
    svg.append(path);
  }
  return svg;
}

const ICONS = {
  check: ['M20 6 9 17l-5-5'],
  checkCircle: ['M22 11.1V12a10 10 0 1 1-5.9-9.1', 'M22 4 12 14l-3-3'],
  cross: ['M18 6 6 18', 'M6 6l12 12'],
  crossCircle: ['M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20z', 'M15 9l-6 6', 'M9 9l6 6'],
  alert: ['M10.3 3.9 1.8 18a2 2 0 0 0 1.7 3h17a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z', 'M12 9v4', 'M12 17h.01'],
  info: ['M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20z', 'M12 16v-4', 'M12 8h.01'],
  seal: ['M12 2l3 2.2 3.7.2.9 3.6 2.4 2.9-1.7 3.3.2 3.7-3.5 1.3-2.2 3-3.8-1-3.8 1-2.2-3-3.5-1.3.2-3.7L2 10.9l2.4-2.9.9-3.6 3.7-.2z', 'M8.5 12l2.5 2.5 4.5-5'],
  file: ['M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8z', 'M14 2v6h6', 'M9 13h6', 'M9 17h6'],
  download: ['M21 15v4a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-4', 'M7 10l5 5 5-5', 'M12 15V3'],
};

/** 'YYYY-MM-DD' as a readable date (no time-zone shift). */
export function formatDate(value) {
  if (!value) return '';
  const [y, m, d] = String(value).slice(0, 10).split('-').map(Number);
  if (!y || !m || !d) return String(value);
  return new Intl.DateTimeFormat(locale(), { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' })
    .format(new Date(Date.UTC(y, m - 1, d)));
}

/** An RFC 3339 moment in Dutch time, e.g. '3 maart 2026 om 14:05'. */
export function formatDateTime(value) {
  if (!value) return '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Amsterdam' })
    .format(date);
}

/** Today's date in Amsterdam as 'YYYY-MM-DD' (the API's deadlines are Amsterdam dates). */
export function todayInAmsterdam() {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Amsterdam' }).format(new Date());
}

export function formatSize(bytes) {
  const n = Number(bytes) || 0;
  const fmt = (v, unit) => `${new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 }).format(v)} ${unit}`;
  if (n < 1024) return fmt(n, 'B');
  if (n < 1024 * 1024) return fmt(n / 1024, 'KB');
  return fmt(n / (1024 * 1024), 'MB');
}

/** A random UUID (v4), also where crypto.randomUUID is missing. */
export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Call `fn` once input has paused for `ms`. */
export function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** Save `blob` as a file named `filename` (a download the browser offers, from our own data). */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = h('a', { href: 'blob-placeholder', download: filename });
  link.setAttribute('href', url);  // a blob: URL made here, from our own data
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** A file name as nodes that may wrap after its separators ('-', '_', '.', ' '), so a narrow screen
 * breaks 'jaarrekening-2025-definitief.pdf' between its parts, not inside a word. */
export function fileName(name) {
  return String(name).split(/(?<=[-_.\s])/).flatMap((part, i) => (i ? [document.createElement('wbr'), part] : [part]));
}
