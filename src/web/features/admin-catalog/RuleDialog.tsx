import { useQueryClient } from '@tanstack/react-query';
import { useSubmitMutation } from '../../lib/submit-once';
import { useState } from 'react';
import { UNIT_NAMES } from '../../../contracts/money';
import type { Shape } from '../../../contracts/types';
import { api } from '../../api/client';
import { DialogActions } from '../../components/Actions';
import { Dialog } from '../../components/Dialog';
import { CheckField, CreditsField, fieldErrors, SelectField, TextField } from '../../components/Field';
import { ErrorMessage } from '../../components/ui';
import { humanize, unitLabel } from '../../lib/format';
import { keys } from '../../lib/query-keys';
import { onSubmit } from '../../lib/forms';

/** "New pricing rule", or "Edit <operation> <unit>" of one: a new price makes a new version. */
export function RuleDialog({ rule, onClose }: { rule: Shape<'PricingRule'> | null; onClose(): void }) {
  const [operation, setOperation] = useState(rule?.operation ?? '');
  const [unit, setUnit] = useState(rule?.unit ?? 'per_call');
  const [credits, setCredits] = useState(rule ? String(rule.credits) : '');
  const [description, setDescription] = useState(rule?.description ?? '');
  const [active, setActive] = useState(rule?.active ?? true);
  const queryClient = useQueryClient();
  const save = useSubmitMutation({
    mutationFn: () =>
      rule
        ? api('PATCH /api/admin/pricing/:id', {
            params: { id: rule.id },
            body: { credits: Number(credits), description: description.trim(), active },
          })
        : api('POST /api/admin/pricing', {
            body: {
              operation: operation.trim(),
              unit,
              credits: Number(credits),
              ...(description.trim() ? { description: description.trim() } : {}),
            },
          }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: keys.admin.pricing });
      void queryClient.invalidateQueries({ queryKey: keys.estimate.all });
      onClose();
    },
  });
  const submit = onSubmit(() => save.mutate());
  const fe = fieldErrors(save.error);
  return (
    <Dialog
      title={rule ? `Edit ${humanize(rule.operation)} ${unitLabel(rule.unit)}` : 'New pricing rule'}
      onClose={onClose}
      description={rule ? 'A price change creates a new version; past usage keeps the price it was charged at.' : undefined}
    >
      <form className="stack" onSubmit={submit} noValidate>
        {rule ? null : (
          <div className="field-row">
            <TextField label="Operation" value={operation} onChange={setOperation} placeholder="e.g. sms" required error={fe.operation} />
            <SelectField label="Unit" value={unit} onChange={(e) => setUnit(e.target.value)}>
              {UNIT_NAMES.map((u) => (
                <option key={u} value={u}>
                  {unitLabel(u)}
                </option>
              ))}
            </SelectField>
          </div>
        )}
        <CreditsField label="Credits per unit" min="0" value={credits} onChange={setCredits} required error={fe.credits} />
        <TextField label="Description" value={description} onChange={setDescription} error={fe.description} />
        {rule ? <CheckField label="Active" checked={active} onChange={setActive} /> : null}
        <ErrorMessage error={save.error} inline={['operation', 'credits', 'description']} />
        <DialogActions onCancel={onClose} submit={rule ? 'Save rule' : 'Create rule'} busy={save.isPending} />
      </form>
    </Dialog>
  );
}
