// 'Documenten' of a bulk send: the same document(s) for everyone, or one per client. One per client:
// several files go up at once (straight to storage, as in 'Nieuw bericht') and are matched to the chosen
// clients by a select per client, or by a CSV file (e-mail address or client id; file name).

import { applyRows, matchingNotice, matchingRows } from './bulk-sends-csv.js';
import { sayOnce } from './bulk-sends-recipients.js';
import { fileName, h, icon, mount } from './dom.js';
import { plural, t } from './i18n.js';
import { ACCEPTED, contentTypeOf, showUploadProgress, uploadDocument, uploadItems } from './upload.js';
import { errorText } from './ui.js';

const PDF = 'application/pdf';
const MODES = ['shared', 'per_client'];

const isPdf = (u) => contentTypeOf(u.file) === PDF;

/** The part of a new draft this picker keeps. Each way has its own files: the clients' own documents never
 * become attachments for everyone by a change of mind. */
export function emptyDocuments() {
  return { mode: 'shared', uploads: { shared: [], per_client: [] }, matches: new Map(), csv: null, nextKey: 1, views: null };
}

/**
 * The picker. `draft` holds mode, uploads, matches (client id → upload) and the CSV read; `typeOf()` is
 * the response type now; `allClients` (id → client) names the firm's clients that were not chosen.
 */
export function documentPicker({ app, draft, typeOf, allClients, onChange }) {
  const sign = () => typeOf() === 'sign';
  const chosen = () => [...draft.chosen.values()];
  const uploads = () => draft.uploads[draft.mode];
  const file = h('input', { id: 'bulk-files', name: 'document_ids', type: 'file', class: 'visually-hidden file-input',
    'aria-describedby': 'bulk-files-hint' });
  const fileHint = h('span', { class: 'hint', id: 'bulk-files-hint' });
  const uploadList = h('ul', { class: 'uploads', 'aria-live': 'polite' });
  const csv = h('input', { id: 'bulk-csv', type: 'file', accept: '.csv,text/csv', class: 'visually-hidden file-input',
    'aria-describedby': 'bulk-csv-hint' });
  const csvResult = h('div');
  const table = h('div', { class: 'match-table' });
  const summary = h('div', { class: 'match-summary' });
  const perClient = h('div', { class: 'per-client' },
    h('div', { class: 'field' }, h('span', { class: 'label', text: t('bulk.docs.csv') }), csv,
      h('label', { for: 'bulk-csv', class: 'btn btn-secondary file-button' }, icon('file'), h('span', { text: t('bulk.docs.csv_choose') })),
      h('span', { class: 'hint', id: 'bulk-csv-hint', text: t('bulk.docs.csv_hint') })),
    csvResult, table, summary);
  const modes = h('fieldset', { class: 'field choice-group' }, h('legend', { text: t('bulk.docs.mode') }),
    MODES.map((mode) => h('div', { class: 'radio' },
      h('input', { type: 'radio', id: `bulk-mode-${mode}`, name: 'document_mode', value: mode, checked: draft.mode === mode,
        'aria-describedby': `bulk-mode-${mode}-hint`, onchange: () => { draft.mode = mode; draft.views.render(); } }),
      h('div', {}, h('label', { for: `bulk-mode-${mode}`, class: 'radio-title', text: t(`bulk.docs.mode_${mode}`) }),
        h('span', { class: 'hint', id: `bulk-mode-${mode}-hint`, text: t(`bulk.docs.mode_${mode}_hint`) })))));

  /** The ready upload matched to a client, or null. */
  function documentOf(clientId) {
    const u = draft.matches.get(clientId);
    return u && u.status === 'ready' && draft.uploads.per_client.includes(u) ? u : null;
  }
  const ready = () => uploads().filter((u) => u.status === 'ready');
  const busy = () => uploads().some((u) => u.status === 'uploading');

  function changed() {
    update();
    onChange();
  }

  file.addEventListener('change', () => {
    const files = [...file.files];
    file.value = '';
    if (sign() && draft.mode === 'shared') uploads().splice(0, uploads().length);  // one PDF: a new one replaces it
    for (const chosenFile of files) startUpload(chosenFile);
    draft.views.render();
  });
  function startUpload(chosenFile) {
    const u = { key: `u${draft.nextKey++}`, file: chosenFile, status: 'uploading', progress: 0, document: null, error: '' };
    uploads().push(u);
    uploadDocument(app.api, chosenFile, (fraction) => {
      u.progress = fraction;
      draft.views.progress(u);
    }).then((document) => {
      Object.assign(u, { status: 'ready', document });
    }).catch((error) => {
      Object.assign(u, { status: 'failed', error: errorText(error) });
    }).finally(() => draft.views.render());
  }

  csv.addEventListener('change', async () => {
    const chosenFile = csv.files[0];
    csv.value = '';
    if (!chosenFile) return;
    let rows = null;
    try {
      rows = matchingRows(await chosenFile.text());
    } catch { /* unreadable: said below */ }
    draft.csv = { name: chosenFile.name, serial: draft.nextKey++, unreadable: !rows,
      rows: (rows || []).map((row) => ({ ...row, applied: false, reason: '' })) };
    changed();
  });

  /** The CSV's rows matched where they can be now (a file may have arrived, a client been chosen). */
  function applyCsv() {
    const found = applyRows(draft.csv?.rows || [], {
      chosen: chosen(), known: allClients, files: draft.uploads.per_client.filter((u) => u.status !== 'failed'),
      refuse: (u) => (sign() && !isPdf(u) ? 'not_pdf' : ''),
    });
    for (const [clientId, upload] of found) draft.matches.set(clientId, upload);
    return found.length > 0;
  }

  function renderUploads() {
    mount(uploadList, uploadItems(uploads(), remove));
  }
  function remove(u) {
    for (const list of Object.values(draft.uploads)) if (list.includes(u)) list.splice(list.indexOf(u), 1);
    for (const [clientId, matched] of draft.matches) if (matched === u) draft.matches.delete(clientId);
    for (const row of draft.csv?.rows || []) if (row.applied && row.filename === u.file.name) row.applied = false;
    draft.views.render();
  }
  function showProgress(u) {
    showUploadProgress(uploadList, uploads(), u);
  }

  let drawn = '';
  const notes = new Map();  // client id → the row's 'no document yet' and the file's name in full
  /** The select per chosen client; drawn again only when what it offers changed (or a CSV matched rows), so a
   * choice made in one keeps its focus. */
  function renderTable(force) {
    const offered = draft.uploads.per_client.filter((u) => u.status !== 'failed' && (!sign() || isPdf(u)));
    const signature = JSON.stringify([chosen().map((c) => c.id), offered.map((u) => [u.key, u.status]), sign()]);
    if (signature !== drawn || force) draw(offered);
    drawn = signature;
    for (const [clientId, { note, chosenFile }] of notes) {
      const matched = documentOf(clientId);
      note.hidden = Boolean(matched);
      mount(chosenFile, matched ? fileName(matched.file.name) : null);
    }
  }
  function draw(offered) {
    notes.clear();
    if (!chosen().length) {
      mount(table, h('p', { class: 'muted', text: t('bulk.docs.choose_clients_first') }));
      return;
    }
    mount(table, h('table', { class: 'data-table' },
      h('caption', { text: t('bulk.docs.table') }),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col', text: t('bulk.col.client') }), h('th', { scope: 'col', text: t('bulk.col.document') }))),
      h('tbody', {}, chosen().map((client) => matchRow(client, offered)))));
  }
  function matchRow(client, offered) {
    const id = `bulk-doc-${client.id}`;
    const select = h('select', { id, name: `document_for_${client.id}` },
      h('option', { value: '', text: t('bulk.docs.choose') }),
      offered.map((u) => h('option', { value: u.key, selected: draft.matches.get(client.id) === u, text: u.file.name })));
    select.addEventListener('change', () => {
      const u = offered.find((candidate) => candidate.key === select.value);
      if (u) draft.matches.set(client.id, u);
      else draft.matches.delete(client.id);
      changed();
    });
    const note = h('span', { class: 'cell-note bad', text: t('bulk.docs.none_yet') });
    // A narrow select cuts the file name short: there it is written out in full below.
    const chosenFile = h('span', { class: 'cell-meta chosen-file', 'aria-hidden': 'true' });
    notes.set(client.id, { note, chosenFile });
    return h('tr', {},
      h('th', { scope: 'row' }, h('span', { class: 'cell-title', text: client.name }),
        h('span', { class: 'cell-meta', text: client.email })),
      h('td', {}, h('label', { for: id, class: 'visually-hidden', text: t('bulk.docs.for', { name: client.name }) }), select,
        chosenFile, note));
  }

  /** How the CSV read, drawn again only when that changed (a file read, a row matched), so it is announced once. */
  function renderCsv() {
    const read = draft.csv;
    const said = read ? JSON.stringify([read.serial, read.rows.map((row) => [row.applied, row.reason])]) : '';
    if (csvResult.dataset.said === said) return;
    csvResult.dataset.said = said;
    mount(csvResult, read ? matchingNotice(read) : null);
  }

  function renderSummary() {
    const missing = chosen().filter((c) => !documentOf(c.id));
    const [kind, text] = missing.length
      ? ['warn', plural('bulk.docs.missing', missing.length, { names: missing.map((c) => c.name).join(', ') })]
      : ['ok', plural('bulk.docs.all_matched', chosen().length)];
    sayOnce(summary, chosen().length ? kind : '', text);
  }

  function update() {
    const perClientMode = draft.mode === 'per_client';
    file.multiple = perClientMode || !sign();
    file.accept = sign() ? `.pdf,${PDF}` : ACCEPTED;
    fileHint.textContent = t(`bulk.docs.hint_${draft.mode}${sign() ? '_sign' : ''}`);
    perClient.hidden = !perClientMode;
    if (perClientMode) {
      const matched = applyCsv();
      renderCsv();
      renderTable(matched);
      renderSummary();
    }
  }

  draft.views = { render: () => { renderUploads(); changed(); }, progress: showProgress };
  const element = h('section', { class: 'card', 'aria-labelledby': 'bulk-docs-title' },
    h('h2', { id: 'bulk-docs-title', text: t('bulk.docs.title') }),
    modes,
    h('div', { class: 'field' },
      h('span', { class: 'label', text: t('bulk.docs.files') }), file,
      h('label', { for: 'bulk-files', class: 'btn btn-secondary file-button' }, icon('file'), h('span', { text: t('bulk.docs.add') })),
      fileHint, uploadList),
    perClient);
  renderUploads();
  update();

  return {
    element,
    update,
    /** The first thing about the documents that stops the sending, as a sentence; null when it can go. */
    check() {
      if (busy()) return t('compose.check.uploading');
      if (uploads().some((u) => u.status === 'failed')) return t('compose.check.failed');
      if (draft.mode === 'shared') {
        return sign() && (ready().length !== 1 || !isPdf(ready()[0])) ? t('bulk.check.one_pdf') : null;
      }
      const missing = chosen().filter((c) => !documentOf(c.id));
      if (missing.length) return plural('bulk.docs.missing', missing.length, { names: missing.map((c) => c.name).join(', ') });
      return sign() && chosen().some((c) => !isPdf(documentOf(c.id))) ? t('bulk.check.pdf_each') : null;
    },
    /** A file of the way chosen is still going up. */
    busy,
    /** The shared document ids (one-for-all), else []. */
    sharedIds: () => (draft.mode === 'shared' ? ready().map((u) => u.document.id) : []),
    /** The client's own document (one per client), else null. */
    ownDocument: (clientId) => (draft.mode === 'per_client' ? documentOf(clientId) : null),
    /** The file names a client gets, for the preview. */
    filenamesFor: (clientId) => (draft.mode === 'shared' ? ready() : [documentOf(clientId)].filter(Boolean)).map((u) => u.file.name),
  };
}
