// An attachment goes straight to S3: announce it, post it to the presigned URL, let the server check it.
// The list of a form's uploads is drawn here too, for every form that uploads.

import { fileName, formatSize, h } from './dom.js';
import { t } from './i18n.js';

const TYPES_BY_EXTENSION = {
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

export const ACCEPTED = Object.keys(TYPES_BY_EXTENSION).map((ext) => `.${ext}`).join(',');

export function contentTypeOf(file) {
  const extension = (file.name.split('.').pop() || '').toLowerCase();
  return TYPES_BY_EXTENSION[extension] || file.type || 'application/octet-stream';
}

/**
 * Upload `file` as a document: POST /advisor/documents → multipart POST to S3 (with progress)
 * → POST /advisor/documents/{id}/complete. Resolves with the ready document; rejects with an ApiError.
 */
export async function uploadDocument(api, file, onProgress) {
  const created = await api.post('/advisor/documents', {
    filename: file.name, content_type: contentTypeOf(file), size: file.size,
  });
  await postToStorage(created.upload, file, onProgress);
  return api.post(`/advisor/documents/${encodeURIComponent(created.id)}/complete`, {});
}

/** XHR rather than fetch: only XHR reports upload progress. */
function postToStorage(upload, file, onProgress) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(upload.fields || {})) form.append(name, value);
    form.append('file', file);  // S3 reads every field after `file` as part of the file: it goes last
    const xhr = new XMLHttpRequest();
    xhr.open('POST', upload.url);
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve();
      } else {
        reject(storageError(xhr.status));
      }
    });
    xhr.addEventListener('error', () => reject(storageError(0)));
    xhr.addEventListener('abort', () => reject(storageError(0)));
    xhr.send(form);
  });
}

function storageError(status) {
  const error = new Error(`upload failed (${status})`);
  error.code = status === 0 ? 'network_error' : 'upload_failed';
  error.problem = {};
  error.fieldErrors = [];
  return error;
}

/** The list items of a form's uploads, each with its state, a remove button and, while it goes up, its progress. */
export function uploadItems(uploads, onRemove) {
  return uploads.map((u) => h('li', {},
    h('div', { class: 'row-main' },
      h('div', { class: 'doc-name' }, fileName(u.file.name)),
      h('div', { class: `upload-state ${u.status === 'ready' ? 'ok' : u.status === 'failed' ? 'bad' : ''}`,
        text: u.status === 'ready' ? t('compose.upload_ready', { size: formatSize(u.file.size) })
          : u.status === 'failed' ? t('compose.upload_failed', { reason: u.error })
            : t('compose.uploading', { pct: Math.round(u.progress * 100) }) })),
    h('button', { type: 'button', class: 'btn btn-quiet', text: t('compose.remove'),
      'aria-label': `${t('compose.remove')}: ${u.file.name}`, onclick: () => onRemove(u) }),
    u.status === 'uploading' ? h('progress', { max: '100', value: String(Math.round(u.progress * 100)),
      'aria-label': t('compose.progress', { name: u.file.name }) }) : null));
}

/** One upload's progress shown in place in the list `uploadItems` drew, without drawing it again. */
export function showUploadProgress(list, uploads, u) {
  const item = list.children[uploads.indexOf(u)];
  const pct = Math.round(u.progress * 100);
  const bar = item?.querySelector('progress');
  if (bar) bar.value = pct;
  const label = item?.querySelector('.upload-state');
  if (label) label.textContent = t('compose.uploading', { pct });
}
