import type { ChatHttp } from '../../client/http.js';
import type { Attachment, PresignedUpload } from '../../client/wire.js';

/**
 * Attachments in the browser: what may be picked (the server's allowlist, lambdas/domain/attachments.ts),
 * images redrawn before they leave the device, and the upload straight to the bucket with progress.
 *
 * Images are decoded and drawn onto a canvas, and the canvas is encoded again: only pixels survive, so EXIF
 * (the camera, the time and above all the GPS position), XMP and comments stay behind, and the orientation
 * the EXIF asked for is applied to the pixels first. The thumbnail (at most 320 px on its longer side, a
 * JPEG) is drawn from the same bitmap, once, so no one downloads the full image to see a preview.
 */

/** The types the server takes; anything else is refused here first, with a clear message. */
export const ALLOWED_TYPES: ReadonlySet<string> = new Set([
  'image/png',
  'image/jpeg',
  'image/webp',
  'image/gif',
  'application/pdf',
  'text/plain',
  'text/csv',
  'application/zip',
  'application/msword',
  'application/vnd.ms-excel',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'audio/mpeg',
  'video/mp4',
]);
/** Redrawn before upload; GIF is sent as it is (a redraw would stop its animation; it carries no EXIF). */
const REDRAWN = new Set(['image/png', 'image/jpeg', 'image/webp']);
export const isImageType = (type: string) => type.startsWith('image/') && ALLOWED_TYPES.has(type);
export const THUMBNAIL_MAX_PIXELS = 320;
/** The server's default; its own limit (ATTACHMENT_MAX_BYTES) is the one that counts, and it says so (413). */
export const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;

/** A file ready to upload: the bytes that will leave the device, and the thumbnail for images. */
export interface PreparedFile {
  readonly name: string;
  readonly type: string;
  readonly blob: Blob;
  readonly thumbnail: Blob | null;
}

export class AttachmentRefused extends Error {}

/** "1.2 MB", "340 KB", "12 bytes". */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** A pasted screenshot has no useful name ("image.png"); give it one people can tell apart. */
export function nameOf(file: File): string {
  if (file.name && file.name !== 'image.png') return file.name.replace(/[/\\]/g, '_');
  const stamp = new Date().toISOString().slice(0, 19).replace('T', ' ').replace(/:/g, '.');
  return `Screenshot ${stamp}.png`;
}

/** Checks a picked file, and redraws an image without its metadata, with its thumbnail. */
export async function prepareFile(file: File, maxBytes = DEFAULT_MAX_BYTES): Promise<PreparedFile> {
  const type = file.type;
  const name = nameOf(file);
  if (!ALLOWED_TYPES.has(type)) {
    throw new AttachmentRefused(`${name}: this type of file cannot be sent (${type || 'unknown type'})`);
  }
  if (!isImageType(type)) return checkedSize({ name, type, blob: file, thumbnail: null }, maxBytes);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    throw new AttachmentRefused(`${name}: this image cannot be read`);
  }
  try {
    const blob = REDRAWN.has(type) ? await draw(bitmap, bitmap.width, bitmap.height, type, 0.92) : file;
    const scale = Math.min(1, THUMBNAIL_MAX_PIXELS / Math.max(bitmap.width, bitmap.height));
    const thumbnail = await draw(
      bitmap,
      Math.max(1, Math.round(bitmap.width * scale)),
      Math.max(1, Math.round(bitmap.height * scale)),
      'image/jpeg',
      0.8,
    );
    return checkedSize({ name, type, blob, thumbnail }, maxBytes);
  } finally {
    bitmap.close();
  }
}

function checkedSize(prepared: PreparedFile, maxBytes: number): PreparedFile {
  if (prepared.blob.size > maxBytes) {
    throw new AttachmentRefused(
      `${prepared.name} is ${formatSize(prepared.blob.size)}; at most ${formatSize(maxBytes)}`,
    );
  }
  if (prepared.blob.size === 0) throw new AttachmentRefused(`${prepared.name} is empty`);
  return prepared;
}

/** Draws the bitmap at `width` × `height` and encodes the pixels alone. */
async function draw(
  bitmap: ImageBitmap,
  width: number,
  height: number,
  type: string,
  quality: number,
): Promise<Blob> {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d');
  if (!context) throw new AttachmentRefused('This browser cannot prepare images');
  // JPEG has no transparency: a transparent screenshot goes on white, not black.
  if (type === 'image/jpeg') {
    context.fillStyle = '#ffffff';
    context.fillRect(0, 0, width, height);
  }
  context.imageSmoothingQuality = 'high';
  context.drawImage(bitmap, 0, 0, width, height);
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, type, quality));
  // A browser that cannot encode `type` gives PNG or nothing: never the original bytes.
  if (!blob || blob.type !== type) throw new AttachmentRefused('This browser cannot prepare this image');
  return blob;
}

/**
 * Uploads a prepared file: asks the API for the presigned POST (and one for the thumbnail), then posts the
 * bytes straight to the bucket, reporting progress (0-1) of the file itself.
 */
export async function uploadFile(
  http: ChatHttp,
  roomId: string,
  file: PreparedFile,
  onProgress: (fraction: number) => void,
  signal?: AbortSignal,
): Promise<Attachment> {
  const created = await http.createAttachment(roomId, {
    name: file.name,
    size: file.blob.size,
    content_type: file.type,
    ...(file.thumbnail ? { thumbnail: true } : {}),
  });
  const thumbnail =
    file.thumbnail && created.thumbnail_upload
      ? postForm(created.thumbnail_upload, file.thumbnail, 'thumbnail.jpg', () => undefined, signal)
      : Promise.resolve();
  await Promise.all([postForm(created.upload, file.blob, file.name, onProgress, signal), thumbnail]);
  const { created_at: _, ...attachment } = created.attachment;
  return attachment;
}

/** A browser-based upload: the policy's fields first, the file last (S3 ignores what follows it). */
function postForm(
  upload: PresignedUpload,
  blob: Blob,
  name: string,
  onProgress: (fraction: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  const form = new FormData();
  for (const [field, value] of Object.entries(upload.fields)) form.append(field, value);
  form.append('file', blob, name);
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', upload.url);
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    request.onload = () => {
      if (request.status >= 200 && request.status < 300) {
        onProgress(1);
        resolve();
      } else {
        const message = /<Message>([^<]*)<\/Message>/.exec(request.responseText)?.[1];
        reject(new Error(`The upload was refused${message ? `: ${message}` : ''}`));
      }
    };
    request.onerror = () => reject(new Error('The upload failed: check the connection and try again'));
    request.onabort = () => reject(new DOMException('Upload cancelled', 'AbortError'));
    signal?.addEventListener('abort', () => request.abort(), { once: true });
    request.send(form);
  });
}

/** Download URLs by attachment and variant, reused while they have a minute or more to live. */
const urls = new Map<string, { url: string; until: number }>();

export async function attachmentUrl(
  http: ChatHttp,
  roomId: string,
  attachmentId: string,
  variant: 'file' | 'thumbnail',
): Promise<string> {
  const key = `${roomId}/${attachmentId}/${variant}`;
  const cached = urls.get(key);
  if (cached && cached.until > Date.now()) return cached.url;
  const { url, expires_in } = await http.attachmentUrl(roomId, attachmentId, variant);
  urls.set(key, { url, until: Date.now() + Math.max(0, expires_in - 60) * 1000 });
  return url;
}
