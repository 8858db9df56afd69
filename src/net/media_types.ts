/**
 * File names and content types: the few conversions attachments need when a server or a client
 * leaves one of them out, and safe file names for uploads.
 *
 * @module
 */

/** Common file extensions and their content types (lower-case, without the dot). */
const TYPES_BY_EXTENSION: Readonly<Record<string, string>> = {
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  gif: "image/gif",
  webp: "image/webp",
  heic: "image/heic",
  heif: "image/heif",
  avif: "image/avif",
  bmp: "image/bmp",
  svg: "image/svg+xml",
  mp4: "video/mp4",
  m4v: "video/mp4",
  mov: "video/quicktime",
  webm: "video/webm",
  mkv: "video/x-matroska",
  "3gp": "video/3gpp",
  mp3: "audio/mpeg",
  m4a: "audio/mp4",
  aac: "audio/aac",
  ogg: "audio/ogg",
  oga: "audio/ogg",
  opus: "audio/ogg",
  wav: "audio/wav",
  flac: "audio/flac",
  amr: "audio/amr",
  pdf: "application/pdf",
  zip: "application/zip",
  gz: "application/gzip",
  "7z": "application/x-7z-compressed",
  rar: "application/vnd.rar",
  txt: "text/plain",
  csv: "text/csv",
  doc: "application/msword",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  xls: "application/vnd.ms-excel",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  ppt: "application/vnd.ms-powerpoint",
  pptx: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
  odt: "application/vnd.oasis.opendocument.text",
  ods: "application/vnd.oasis.opendocument.spreadsheet",
  apk: "application/vnd.android.package-archive",
  vcf: "text/vcard",
  ics: "text/calendar",
};

const EXTENSIONS_BY_TYPE: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(TYPES_BY_EXTENSION).reverse().map(([extension, type]) => [type, extension]),
);

/** The content type clients send when they do not know better. */
export const GENERIC_TYPE = "application/octet-stream";

/** The lower-case extension of a file name (`"photo.JPG"` → `"jpg"`), or undefined. */
export function extensionOf(filename: string): string | undefined {
  const match = /\.([a-z0-9]{1,8})$/i.exec(filename);
  return match ? match[1].toLowerCase() : undefined;
}

/** Whether a file name ends with an extension of a common file type (photo, video, document…). */
export function hasFileExtension(filename: string): boolean {
  const extension = extensionOf(filename);
  return extension !== undefined && extension in TYPES_BY_EXTENSION;
}

/** The content type a file name suggests, or undefined. */
export function contentTypeFor(filename: string): string | undefined {
  const extension = extensionOf(filename);
  return extension === undefined ? undefined : TYPES_BY_EXTENSION[extension];
}

/** The usual extension (without the dot) of a content type, or undefined. */
export function extensionFor(contentType: string): string | undefined {
  return EXTENSIONS_BY_TYPE[contentType.split(";")[0].trim().toLowerCase()];
}

/** True for a useful content type (not empty, not the generic `application/octet-stream`). */
export function isSpecificType(contentType: string | undefined): contentType is string {
  return contentType !== undefined && /^[a-z0-9.+-]+\/[a-z0-9.+-]+$/i.test(contentType) &&
    contentType.toLowerCase() !== GENERIC_TYPE;
}

/** The last path segment of a URL, decoded, when it looks like a file name. */
export function filenameFromUrl(url: string): string | undefined {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return undefined;
  }
  const last = path.split("/").pop() ?? "";
  let decoded: string;
  try {
    decoded = decodeURIComponent(last);
  } catch {
    decoded = last;
  }
  const safe = safeFilename(decoded);
  return safe !== "" && extensionOf(safe) !== undefined ? safe : undefined;
}

/**
 * A file name safe to hand to an upload service or Messenger: no path separators or control
 * characters, trimmed, at most 100 characters (the extension kept); `""` when nothing is left.
 */
export function safeFilename(name: string): string {
  // deno-lint-ignore no-control-regex
  const cleaned = name.replace(/[\u0000-\u001f\u007f/\\]+/g, "_").trim().replace(/^\.+/, "");
  if (!cleaned.isWellFormed()) return "";
  const points = Array.from(cleaned);
  if (points.length <= 100) return cleaned;
  const extension = extensionOf(cleaned);
  const keep = extension ? 100 - extension.length - 1 : 100;
  return points.slice(0, keep).join("") + (extension ? `.${extension}` : "");
}
