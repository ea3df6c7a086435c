import { UserInputError } from './errors';

export const NAME_MAX = 100;
export const TEXT_MAX = 10_000;

/** Names of API.md section 5: 1–100 characters, not only spaces. The value is never echoed. */
export function checkName(name: string, field = 'name'): void {
  if (name.trim().length === 0 || [...name].length > NAME_MAX) {
    throw new UserInputError(`${field} must be 1–${NAME_MAX} characters.`, field);
  }
  checkNoNul(name, field);
}

// PostgreSQL cannot store (nor compare) U+0000 in text, and no name, message or filter needs it.
export function checkNoNul(text: string, field: string): void {
  if (text.includes('\u0000')) {
    throw new UserInputError(`${field} must not contain the NUL character (U+0000).`, field);
  }
}

/** Free texts (`details`, `message`): at most 10,000 characters. */
export function checkText(text: string | null | undefined, field: string, required = false): void {
  if (required && (text === null || text === undefined || text.trim().length === 0)) {
    throw new UserInputError(`${field} must not be empty.`, field);
  }
  if (text && [...text].length > TEXT_MAX) {
    throw new UserInputError(
      `${field} must be at most ${TEXT_MAX.toLocaleString('en')} characters.`,
      field,
    );
  }
  if (text) {
    checkNoNul(text, field);
  }
}

export function checkIntegerRange(value: number, field: string, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UserInputError(`${field} must be a whole number from ${min} to ${max}.`, field);
  }
}
