import { useQuery } from '@tanstack/react-query';
import { useEffect, useId } from 'react';
import { api } from '../../api/client';
import { useDebounced } from '../../lib/use-debounced';
import { keys } from '../../lib/query-keys';

export interface PickedUser {
  /** What is typed: an email, or part of one. */
  text: string;
  /** The user whose email the text is, once it is one. */
  id: string | null;
}

/**
 * "User": an email field that suggests the users whose email or name match what is typed
 * (`GET /api/admin/users?search=`) and picks the user whose email it then is.
 */
export function UserFilter({ value, onChange }: { value: PickedUser; onChange(v: PickedUser): void }) {
  const id = useId();
  const listId = useId();
  const search = useDebounced(value.text.trim(), 250);
  const users = useQuery({
    queryKey: keys.admin.users(search),
    queryFn: ({ signal }) => api('GET /api/admin/users', { query: { search, limit: 10 }, signal }),
    enabled: search.length >= 2,
  });
  const matches = users.data?.items ?? [];
  const pick = (text: string) => {
    const hit = matches.find((u) => u.email.toLowerCase() === text.trim().toLowerCase());
    onChange({ text, id: hit ? hit.id : null });
  };
  // The list may answer after the email was typed in full: pick it then.
  useEffect(() => {
    if (value.id !== null || !value.text) return;
    const hit = matches.find((u) => u.email.toLowerCase() === value.text.trim().toLowerCase());
    if (hit) onChange({ text: value.text, id: hit.id });
  }, [matches, value, onChange]);
  return (
    <div className="field field-inline">
      <label htmlFor={id}>User</label>
      <input
        id={id}
        type="search"
        list={listId}
        placeholder="Email"
        autoComplete="off"
        value={value.text}
        aria-describedby={`${id}-hint`}
        onChange={(e) => pick(e.target.value)}
      />
      <datalist id={listId}>
        {matches.map((u) => (
          <option key={u.id} value={u.email}>
            {u.name}
          </option>
        ))}
      </datalist>
      <span id={`${id}-hint`} className="muted small">
        {value.id ? 'Only this user’s payments' : value.text ? 'Pick an email from the list' : 'All users'}
      </span>
    </div>
  );
}
