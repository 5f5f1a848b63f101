// The matching file of a bulk send, read in the browser: two columns, a client's e-mail address (or
// client id) and a file name. Comma or semicolon separated, an optional header row, fields may be
// quoted ("..." with "" for a quote, and then may hold the separator or a line break). Its rows are
// matched to the chosen clients and the files added, and what could not be matched is said per row.

import { h } from './dom.js';
import { t } from './i18n.js';
import { alert } from './ui.js';

/** The rows of `text` as {line, fields}: `line` is where the row starts (1-based); empty rows are left out. */
export function parseCsv(text) {
  const source = String(text).replace(/^\uFEFF/, '');
  const separator = separatorOf(source);
  const rows = [];
  let fields = [];
  let value = '';
  let quoted = false;  // this field was quoted: its spaces are its own
  let inQuotes = false;
  let line = 1;
  let rowLine = 1;
  const endField = () => {
    fields.push(quoted ? value : value.trim());
    value = '';
    quoted = false;
  };
  const endRow = () => {
    endField();
    if (fields.some((f) => f !== '')) rows.push({ line: rowLine, fields });
    fields = [];
  };
  for (let i = 0; i < source.length; i += 1) {
    const c = source[i];
    if (inQuotes) {
      if (c === '"' && source[i + 1] === '"') {
        value += '"';
        i += 1;
      } else if (c === '"') {
        inQuotes = false;
      } else {
        if (c === '\n') line += 1;
        value += c;
      }
    } else if (c === '"' && !quoted && !value.trim()) {
      inQuotes = true;
      quoted = true;
      value = '';
    } else if (c === separator) {
      endField();
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && source[i + 1] === '\n') i += 1;
      endRow();
      line += 1;
      rowLine = line;
    } else if (!quoted || !/\s/.test(c)) {
      value += c;  // after a closing quote only stray spaces are dropped
    }
  }
  endRow();
  return rows;
}

/** ';' when the first line has more semicolons than commas outside quotes (a Dutch spreadsheet's export), else ','. */
function separatorOf(source) {
  let commas = 0;
  let semicolons = 0;
  let inQuotes = false;
  for (const c of source) {
    if (c === '"') inQuotes = !inQuotes;
    else if (!inQuotes && (c === '\n' || c === '\r')) break;
    else if (!inQuotes && c === ',') commas += 1;
    else if (!inQuotes && c === ';') semicolons += 1;
  }
  return semicolons > commas ? ';' : ',';
}

const FILE_NAME = /\.[a-z0-9]{2,5}$/i;

/**
 * The matching rows as {line, client, filename}. The first row is a header (such as 'e-mail;bestand')
 * when it names neither an e-mail address nor a file, so a file with or without one reads the same.
 */
export function matchingRows(text) {
  const rows = parseCsv(text);
  const [first = '', second = ''] = rows[0]?.fields || [];
  if (rows.length && !first.includes('@') && !FILE_NAME.test(second)) rows.shift();
  return rows.map(({ line, fields }) => ({ line, client: fields[0] || '', filename: fields[1] || '' }));
}

/**
 * Match each row not matched yet (`row.applied`) whose client is among `chosen` and whose file is among
 * `files` (by name, case ignored when need be); `refuse(file)` may name a reason the file will not do.
 * The other rows get their `reason`. Returns the new matches as [client id, file].
 */
export function applyRows(rows, { chosen, known, files, refuse }) {
  const found = [];
  for (const row of rows) {
    if (row.applied) continue;
    const byEmail = row.client.includes('@');
    const same = (c) => (byEmail ? c.email.toLowerCase() === row.client.toLowerCase() : c.id === row.client);
    const client = chosen.find(same);
    const file = files.find((u) => u.file.name === row.filename)
      || files.find((u) => u.file.name.toLowerCase() === row.filename.toLowerCase());
    if (!row.client || !row.filename) row.reason = 'incomplete';
    else if (!client) row.reason = [...known.values()].some(same) ? 'not_chosen' : 'no_client';
    else if (!file) row.reason = 'no_file';
    else row.reason = refuse(file);
    if (!row.reason) {
      row.applied = true;
      found.push([client.id, file]);
    }
  }
  return found;
}

/** How the file read: how many rows matched, and why each other row did not. */
export function matchingNotice(read) {
  if (read.unreadable || !read.rows.length) return alert('error', t('bulk.csv.empty', { file: read.name }));
  const open = read.rows.filter((row) => !row.applied);
  return alert(open.length ? 'warn' : 'ok',
    t('bulk.csv.result', { file: read.name, matched: read.rows.length - open.length, total: read.rows.length }),
    open.length ? h('ul', { class: 'csv-problems' }, open.map((row) => h('li', {
      text: t('bulk.csv.row', { line: row.line, client: row.client || '—', file: row.filename || '—', reason: t(`bulk.csv.reason.${row.reason}`) }),
    }))) : null);
}
