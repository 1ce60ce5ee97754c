import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** A file of an installed package, read once on first use. */
export class PackageAsset {
  #content: Promise<Buffer> | undefined;
  constructor(
    readonly path: string,
    readonly contentType: string,
  ) {}
  read(): Promise<Buffer> {
    this.#content ??= readFile(this.path);
    return this.#content;
  }
}

/** Locates a file inside an installed package, or undefined when it is not installed. */
export function packageAsset(
  pkg: string,
  file: string,
  contentType: string,
): PackageAsset | undefined {
  try {
    return new PackageAsset(
      join(dirname(require.resolve(`${pkg}/package.json`)), file),
      contentType,
    );
  } catch {
    return undefined;
  }
}

/**
 * Sent with both docs pages: scripts, styles, images and fonts come from the app only, so the
 * pages work offline and leak no visits (Redoc's side menu links a logo on a CDN). Requests
 * made by "Try it out" may go to any server the document lists.
 */
export const DOCS_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-inline'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "worker-src 'self' blob:",
  'connect-src *',
].join('; ');

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, head: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
${head}
</head>
<body>
${body}
</body>
</html>
`;
}

/** Swagger UI, with its assets served beside the page (no CDN). */
export function swaggerPage(title: string, specUrl: string, assetBase: string): string {
  return page(
    title,
    `<link rel="stylesheet" href="${assetBase}/swagger-ui.css">`,
    `<div id="swagger-ui"></div>
<script src="${assetBase}/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({ url: ${JSON.stringify(specUrl)}, dom_id: '#swagger-ui', deepLinking: true });
</script>`,
  );
}

/** Redoc, with its standalone bundle served beside the page (no CDN). */
export function redocPage(title: string, specUrl: string, assetBase: string): string {
  return page(
    title,
    '<style>body { margin: 0; padding: 0; }</style>',
    `<redoc spec-url="${escapeHtml(specUrl)}"></redoc>
<script src="${assetBase}/redoc.standalone.js"></script>`,
  );
}
