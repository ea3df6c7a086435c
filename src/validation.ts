import { UserInputError } from './errors';

export const NAME_MAX = 100;

/** Names of API.md section 5: 1–100 characters, not only spaces. The value is never echoed. */
export function checkName(name: string, field = 'name'): void {
  if (name.trim().length === 0 || [...name].length > NAME_MAX) {
    throw new UserInputError(`${field} must be 1–${NAME_MAX} characters.`, field);
  }
}
