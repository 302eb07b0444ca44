/**
 * The checks the browser makes before a new account (or a new password) is sent, worded as
 * the server words them ("Password must be at least 8 characters."), so a person reads the
 * same sentence under the same field whichever side found it. The server still checks
 * everything, and alone judges whether a password is too easy to guess.
 */
import { useState } from 'react';
import { textProblem } from '../../../contracts/text';

export interface NewAccountInput {
  name: string;
  email: string;
  password: string;
}

// Something@something.something without spaces: what a person can mistype, not the full grammar (the server decides).
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function checkName(name: string): string | undefined {
  const problem = textProblem(name);
  if (problem) return `Name ${problem}`;
  if (name.trim() === '') return 'Name is required';
  if (name.trim().length > 100) return 'Name must be at most 100 characters';
  return undefined;
}

export function checkEmail(email: string): string | undefined {
  const e = email.trim();
  if (e === '') return 'Email is required';
  if (e.length > 254 || !EMAIL.test(e)) return 'Email must be a valid email address';
  return undefined;
}

/** The password policy's rules a browser can apply without the server's dictionaries. */
export function checkPassword(password: string): string | undefined {
  if (password === '') return 'Password is required';
  if ([...password].length < 8) return 'Password must be at least 8 characters';
  if (password.length > 200) return 'Password must be at most 200 characters';
  if (password.trim() === '') return 'Password cannot be only spaces.';
  return undefined;
}

/** Every field's problem, by field name (empty when the form can be sent). */
export function checkNewAccount(a: NewAccountInput): Partial<Record<keyof NewAccountInput, string>> {
  const out: Partial<Record<keyof NewAccountInput, string>> = {};
  const name = checkName(a.name);
  const email = checkEmail(a.email);
  const password = checkPassword(a.password);
  if (name) out.name = name;
  if (email) out.email = email;
  if (password) out.password = password;
  return out;
}

/** The browser's checks of a form, as the fields show them. */
export interface FieldChecks<F extends string> {
  /** The sentence to show under each field now. */
  errors: Partial<Record<F, string>>;
  /** A field was left: show its problem if it has something in it (an empty field waits for the submit). */
  blur(field: F, value: string): void;
  /** The submit was refused here: say so above the button. */
  blocked: boolean;
  /** On submit: shows every problem; true when the form may be sent. */
  ready(): boolean;
}

/** Checks a form's values in the browser: each problem under its field once left (or at the submit), nothing sent while any remains. */
export function useFieldChecks<F extends string>(problems: Partial<Record<F, string>>): FieldChecks<F> {
  const [shown, setShown] = useState<ReadonlySet<string>>(new Set());
  const [tried, setTried] = useState(false);
  const errors: Partial<Record<F, string>> = {};
  for (const [field, sentence] of Object.entries(problems) as [F, string][]) if (shown.has(field) || tried) errors[field] = sentence;
  const count = Object.keys(problems).length;
  return {
    errors,
    blur: (field, value) => {
      if (value !== '') setShown((s) => new Set(s).add(field));
    },
    blocked: tried && count > 0,
    ready: () => {
      setTried(true);
      return count === 0;
    },
  };
}
