import { useQueryClient } from '@tanstack/react-query';
import { useSubmitMutation } from '../../lib/submit-once';
import { useEffect, useState } from 'react';
import type { Shape } from '../../../contracts/types';
import { api } from '../../api/client';
import { SelectField } from '../../components/Field';
import { ErrorMessage } from '../../components/ui';
import { keys } from '../../lib/query-keys';
import { useSession } from '../../lib/session';

/** A user's role; only a super admin grants or removes `admin` and `super_admin`. */
export function RoleForm({ user }: { user: Shape<'AdminUser'> }) {
  const { user: me } = useSession();
  const [role, setRole] = useState<Shape<'Role'>>(user.role);
  const queryClient = useQueryClient();
  useEffect(() => setRole(user.role), [user.role]);
  const save = useSubmitMutation({
    mutationFn: () => api('PATCH /api/admin/users/:id', { params: { id: user.id }, body: { role } }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: keys.admin.all }),
  });
  const superAdmin = me?.role === 'super_admin';
  return (
    <form
      className="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <SelectField
        label="Role"
        className="field-inline"
        value={role}
        onChange={(e) => setRole(e.target.value as Shape<'Role'>)}
        disabled={!superAdmin && user.role !== 'user'}
      >
        <option value="user">User</option>
        <option value="admin" disabled={!superAdmin}>
          Admin
        </option>
        <option value="super_admin" disabled={!superAdmin}>
          Super admin
        </option>
      </SelectField>
      <button type="submit" className="button button-small" disabled={role === user.role || save.isPending}>
        Save role
      </button>
      <ErrorMessage error={save.error} />
    </form>
  );
}
