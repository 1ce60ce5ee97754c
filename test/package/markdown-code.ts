// What the docs' tests read from a Markdown page: its fenced code blocks (with the
// `<!-- ts: … -->` directives just above each), its links and its headings' anchors.
// Only what these pages use: ``` fences at the start of a line, inline [text](target) links,
// GitHub's heading anchors. A full Markdown parser (marked, a dependency of redoc) would not
// give line numbers, which every failure message here needs.

/**
 * A directive in an HTML comment right above a block, invisible on GitHub and npm:
 * `<!-- ts: skip <why> -->` leaves the block out of the typecheck;
 * `<!-- ts: continues -->` compiles it after the page's previous TypeScript block, as a reader
 * reads them; `<!-- ts: prelude <code> -->` is code placed before it (imports, `declare`s of
 * what the surrounding text supposes exists).
 */
export type Directive =
  | { readonly kind: 'skip'; readonly reason: string }
  | { readonly kind: 'continues' }
  | { readonly kind: 'prelude'; readonly code: string };

export interface CodeBlock {
  /** Page path relative to the repository, `README.md` or `docs/http.md`. */
  readonly page: string;
  /** 1-based line of the block's first code line in the page. */
  readonly line: number;
  readonly lang: string;
  readonly code: string;
  readonly directives: readonly Directive[];
}

const FENCE = /^```(\S*)\s*$/;
const DIRECTIVE = /<!--\s*ts:\s*(skip|continues|prelude)\b([\s\S]*?)-->\s*$/;

export function codeBlocks(page: string, text: string): CodeBlock[] {
  const lines = text.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] as string);
    if (!open) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end] as string)) end++;
    if (end === lines.length) throw new Error(`${page}:${i + 1}: a code fence is never closed`);
    blocks.push({
      page,
      line: start + 1,
      lang: open[1] ?? '',
      code: lines.slice(start, end).join('\n'),
      directives: directivesAbove(page, lines, i),
    });
    i = end;
  }
  return blocks;
}

// Comments directly above the fence (blank lines between them allowed), nearest last.
function directivesAbove(page: string, lines: readonly string[], fence: number): Directive[] {
  const found: Directive[] = [];
  let end = fence - 1;
  for (;;) {
    while (end >= 0 && (lines[end] as string).trim() === '') end--;
    if (end < 0 || !(lines[end] as string).trimEnd().endsWith('-->')) break;
    let start = end;
    while (start >= 0 && !(lines[start] as string).includes('<!--')) start--;
    if (start < 0) break;
    const comment = lines.slice(start, end + 1).join('\n');
    const match = DIRECTIVE.exec(comment);
    if (!match) {
      if (/<!--\s*ts:/.test(comment)) {
        throw new Error(`${page}:${start + 1}: unknown directive ${comment.split('\n')[0]}`);
      }
      break;
    }
    const body = (match[2] as string).trim();
    const kind = match[1] as Directive['kind'];
    found.unshift(
      kind === 'skip'
        ? { kind, reason: body }
        : kind === 'prelude'
          ? { kind, code: body }
          : { kind },
    );
    end = start - 1;
  }
  return found;
}

/** Text outside code blocks and code spans, each line kept in place (for line numbers). */
function prose(text: string): string {
  let inFence = false;
  return text
    .split('\n')
    .map((line) => {
      if (/^```/.test(line)) {
        inFence = !inFence;
        return '';
      }
      return inFence ? '' : line.replace(/`[^`]*`/g, '');
    })
    .join('\n');
}

export interface MarkdownLink {
  readonly page: string;
  readonly line: number;
  readonly target: string;
}

/** Inline links `[text](target)`, the text possibly spanning lines. */
export function markdownLinks(page: string, text: string): MarkdownLink[] {
  const body = prose(text);
  return [...body.matchAll(/\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => ({
    page,
    line: body.slice(0, m.index).split('\n').length,
    target: m[1] as string,
  }));
}

/** The anchors GitHub gives the page's headings (`## Two commands` → `two-commands`). */
export function headingAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let inFence = false;
  for (const line of text.split('\n')) {
    if (/^```/.test(line)) inFence = !inFence;
    if (inFence) continue;
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const slug = (heading[1] as string)
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}
