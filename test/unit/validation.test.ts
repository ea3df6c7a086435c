import { GraphQLError } from 'graphql';
import { checkName, checkText } from '../../src/core/validation';

function refusal(check: () => void): GraphQLError {
  try {
    check();
  } catch (error) {
    expect(error).toBeInstanceOf(GraphQLError);
    return error as GraphQLError;
  }
  throw new Error('expected a refusal');
}

describe('name and text rules', () => {
  it('counts characters, not UTF-16 units, for the 1–100 rule', () => {
    expect(() => checkName('🚦'.repeat(100))).not.toThrow();
    const error = refusal(() => checkName('🚦'.repeat(101)));
    expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'name' });
    expect(error.message).toBe('name must be 1–100 characters.');
  });

  it('refuses the NUL character in names and texts, naming the field', () => {
    expect(refusal(() => checkName('a\u0000b', 'displayName')).message).toBe(
      'displayName must not contain the NUL character (U+0000).',
    );
    expect(refusal(() => checkText('line\u0000', 'details')).extensions.field).toBe('details');
    expect(() => checkText(null, 'details')).not.toThrow();
    expect(() => checkText('x'.repeat(10_000), 'details')).not.toThrow();
    expect(refusal(() => checkText('x'.repeat(10_001), 'details')).message).toBe(
      'details must be at most 10,000 characters.',
    );
  });

  it('requires a non-blank text where asked', () => {
    expect(refusal(() => checkText('   ', 'message', true)).message).toBe(
      'message must not be empty.',
    );
  });
});
