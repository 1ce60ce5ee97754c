import { ValidationError } from '../errors/domain-errors.js';

// `{{var:name}}` or, as in Mailjet's template language, `{{var:name:"default"}}`.
const PLACEHOLDER = /\{\{\s*var:([A-Za-z_][\w.-]*)(?::"((?:[^"\\]|\\.)*)")?\s*\}\}/g;

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** `<b>` → `&lt;b&gt;`: a value put into HTML cannot add markup. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] as string);
}

/** The names of the placeholders of `template`, without those that have a default. */
export function requiredVariables(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)]
    .filter((m) => m[2] === undefined)
    .map((m) => m[1] as string);
}

/**
 * Fills the `{{var:name}}` placeholders of `template` with `data`'s values (a number or
 * boolean as its text; an object or array as JSON), HTML-escaped when `html`. A placeholder
 * with no value and no default is a `ValidationError` (`EMAIL_VARIABLE_MISSING`) naming every
 * missing one and `what` the template is — never the values.
 */
export function renderTemplate(
  template: string,
  data: Readonly<Record<string, unknown>>,
  options: { readonly html: boolean; readonly what: string },
): string {
  const missing = new Set<string>();
  const text = template.replace(PLACEHOLDER, (_, name: string, fallback: string | undefined) => {
    const value = Object.hasOwn(data, name) ? data[name] : undefined;
    let shown: string;
    if (value === undefined || value === null) {
      if (fallback === undefined) {
        missing.add(name);
        return '';
      }
      shown = fallback.replace(/\\(.)/g, '$1');
    } else shown = typeof value === 'object' ? JSON.stringify(value) : String(value);
    return options.html ? escapeHtml(shown) : shown;
  });
  if (missing.size > 0) {
    const names = [...missing].join(', ');
    throw new ValidationError(`${options.what}: no value for ${names} in the message's data`, {
      code: 'EMAIL_VARIABLE_MISSING',
      details: [...missing].map((variable) => ({ variable })),
    });
  }
  return text;
}
