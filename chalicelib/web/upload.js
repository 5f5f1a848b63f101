// An attachment goes straight to S3: announce it, post it to the presigned URL, let the server check it.

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
