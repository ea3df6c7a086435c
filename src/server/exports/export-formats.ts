/** One exported row: the fields of the GraphQL type, links as ids, timestamps as ISO strings. */
export type ExportRecord = Record<string, string | number | boolean | string[] | null>;

/** How rows become bytes: a content type, what opens the body, and each row's text. */
export interface ExportFormat {
  contentType: string;
  /** Text before the first row (CSV's header row). */
  head(columns: readonly string[]): string;
  row(record: ExportRecord, columns: readonly string[]): string;
}

/**
 * NDJSON: one JSON object a line, null as null, keys in the order of `columns`; U+0085, U+2028 and
 * U+2029 escaped, so that no reader sees a line break inside a row.
 */
export const ndjson: ExportFormat = {
  contentType: 'application/x-ndjson',
  head: () => '',
  row(record, columns) {
    const ordered: ExportRecord = {};
    for (const column of columns) {
      ordered[column] = record[column] ?? null;
    }
    const json = JSON.stringify(ordered);
    // Valid JSON raw, but line breaks to readers that split on Unicode's line separators.
    return `${SEPARATORS.test(json) ? json.replace(SEPARATORS_ALL, escapeSeparator) : json}\n`;
  },
};

// NEL (U+0085) and Unicode's line and paragraph separators, which JSON.stringify leaves raw.
const SEPARATORS = /[\u0085\u2028\u2029]/;
const SEPARATORS_ALL = /[\u0085\u2028\u2029]/g;
const escapeSeparator = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

const NEEDS_QUOTES = /[",\r\n]/;

/**
 * Whether a text starts as a formula would (OWASP's CSV injection): `=`, `+`, `-` or `@` (API.md
 * section 12), and a tab or a carriage return, which spreadsheets skip before such a character.
 */
function looksLikeFormula(text: string): boolean {
  const first = text.charCodeAt(0);
  return (
    first === 61 || first === 43 || first === 45 || first === 64 || first === 9 || first === 13
  );
}

/**
 * One CSV cell (RFC 4180): null as an empty cell, id lists separated by spaces, quoted when it
 * holds a comma, a quote or a line break (quotes doubled); a text a spreadsheet would run as a
 * formula gets a leading ' (OWASP's advice).
 */
export function csvCell(value: ExportRecord[string] | undefined): string {
  if (value === null || value === undefined) {
    return '';
  }
  let text: string;
  if (typeof value === 'string') {
    text = looksLikeFormula(value) ? `'${value}` : value;
  } else if (Array.isArray(value)) {
    text = value.join(' ');
  } else {
    return String(value);
  }
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** CSV (RFC 4180): a header row, CRLF line ends, UTF-8. */
export const csv: ExportFormat = {
  contentType: 'text/csv; charset=utf-8',
  head: (columns) => `${columns.map(csvCell).join(',')}\r\n`,
  row(record, columns) {
    let line = '';
    for (let i = 0; i < columns.length; i++) {
      line += i === 0 ? csvCell(record[columns[i]]) : `,${csvCell(record[columns[i]])}`;
    }
    return `${line}\r\n`;
  },
};

/** The formats by their file extension in the route. */
export const EXPORT_FORMATS: Record<'ndjson' | 'csv', ExportFormat> = { ndjson, csv };
