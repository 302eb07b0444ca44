import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { get, patch, post } from '../../api/client';
import type { CreditPackage, PricingRule } from '../../api/types';
import { Dialog } from '../../components/Dialog';
import { Field, fieldErrors } from '../../components/Field';
import { Badge, Empty, ErrorMessage, Loading } from '../../components/ui';
import { formatCredits, formatMoney, humanize, unitLabel } from '../../lib/format';

const UNITS = [
  'per_call',
  'per_minute',
  'per_message',
  'per_mb',
  'per_execution',
  'per_document',
  'per_candidate',
  'per_1k_tokens',
  'per_post',
  'per_search',
  'per_export',
  'per_step',
] as const;

function PackageDialog({ pkg, onClose }: { pkg: CreditPackage | null; onClose(): void }) {
  const ids = { popular: useId(), active: useId() };
  const [name, setName] = useState(pkg?.name ?? '');
  const [credits, setCredits] = useState(pkg ? String(pkg.credits) : '');
  const [bonus, setBonus] = useState(pkg ? String(pkg.bonusCredits) : '0');
  const [price, setPrice] = useState(pkg ? (pkg.priceCents / 100).toFixed(2) : '');
  const [popular, setPopular] = useState(pkg?.popular ?? false);
  const [active, setActive] = useState(pkg?.active ?? true);
  const queryClient = useQueryClient();
  const save = useMutation({
    mutationFn: () => {
      const body = {
        name: name.trim(),
        credits: Number(credits),
        bonusCredits: Number(bonus || 0),
        priceCents: Math.round(Number(price) * 100),
        popular,
      };
      return pkg
        ? patch<{ package: CreditPackage }>(`/api/admin/packages/${encodeURIComponent(pkg.id)}`, { ...body, active })
        : post<{ package: CreditPackage }>('/api/admin/packages', { ...body, currency: 'usd' });
    },
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['admin', 'packages'] });
      void queryClient.invalidateQueries({ queryKey: ['packages'] });
      onClose();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  const fe = fieldErrors(save.error);
  return (
    <Dialog title={pkg ? `Edit ${pkg.name}` : 'New package'} onClose={onClose}>
      <form className="stack" onSubmit={submit} noValidate>
        <Field label="Package name" value={name} onChange={(e) => setName(e.target.value)} required error={fe.name} />
        <div className="field-row">
          <Field label="Credits" type="number" min="0" step="0.001" value={credits} onChange={(e) => setCredits(e.target.value)} required error={fe.credits} />
          <Field label="Bonus credits" type="number" min="0" step="0.001" value={bonus} onChange={(e) => setBonus(e.target.value)} error={fe.bonusCredits} />
          <Field label="Price (USD)" type="number" min="0" step="0.01" value={price} onChange={(e) => setPrice(e.target.value)} required error={fe.priceCents} />
        </div>
        <div className="check">
          <input id={ids.popular} type="checkbox" checked={popular} onChange={(e) => setPopular(e.target.checked)} />
          <label htmlFor={ids.popular}>Mark as most popular</label>
        </div>
        {pkg ? (
          <div className="check">
            <input id={ids.active} type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} />
            <label htmlFor={ids.active}>Active (offered to users)</label>
          </div>
        ) : null}
        <ErrorMessage error={save.error} inline={['name', 'credits', 'bonusCredits', 'priceCents']} />
        <div className="actions">
          <button type="button" className="button button-ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={save.isPending}>
            {pkg ? 'Save package' : 'Create package'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

export function AdminPackages() {
  const h = useId();
  const [editing, setEditing] = useState<CreditPackage | 'new' | null>(null);
  const packages = useQuery({
    queryKey: ['admin', 'packages'],
    queryFn: ({ signal }) => get<{ items: CreditPackage[] }>('/api/admin/packages', signal),
  });
  const items = packages.data?.items ?? [];
  return (
    <section className="card" aria-labelledby={h}>
      <div className="card-head">
        <h2 id={h}>Credit packages</h2>
        <button type="button" className="button button-primary button-small" onClick={() => setEditing('new')}>
          New package
        </button>
      </div>
      <p className="muted">Packages are deactivated, never deleted, so past payments keep their package.</p>
      <ErrorMessage error={packages.error} />
      {packages.isPending ? <Loading /> : null}
      {packages.isSuccess && items.length === 0 ? <Empty>No packages yet.</Empty> : null}
      {items.length > 0 ? (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col" className="num">
                  Credits
                </th>
                <th scope="col" className="num">
                  Bonus
                </th>
                <th scope="col" className="num">
                  Price
                </th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((p) => (
                <tr key={p.id} className={p.active ? '' : 'row-inactive'}>
                  <td>
                    {p.name} {p.popular ? <Badge tone="accent">Popular</Badge> : null}
                  </td>
                  <td className="num">{formatCredits(p.credits)}</td>
                  <td className="num">{formatCredits(p.bonusCredits)}</td>
                  <td className="num">{formatMoney(p.priceCents, p.currency)}</td>
                  <td>{p.active ? <Badge tone="ok">Active</Badge> : <Badge>Inactive</Badge>}</td>
                  <td className="right">
                    <button type="button" className="button button-small" onClick={() => setEditing(p)} aria-label={`Edit ${p.name}`}>
                      Edit
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {editing ? <PackageDialog pkg={editing === 'new' ? null : editing} onClose={() => setEditing(null)} /> : null}
    </section>
  );
}

function RuleDialog({ rule, onClose }: { rule: PricingRule | null; onClose(): void }) {
  const ids = { unit: useId(), active: useId() };
  const [operation, setOperation] = useState(rule?.operation ?? '');
  const [unit, setUnit] = useState(rule?.unit ?? 'per_call');
  const [credits, setCredits] = useState(rule ? String(rule.credits) : '');
  const [description, setDescription] = useState(rule?.description ?? '');
  const [active, setActive] = useState(rule?.active ?? true);
  const queryClient = useQueryClient();
  const save = useMutation({
    mutationFn: () =>
      rule
        ? patch<{ rule: PricingRule }>(`/api/admin/pricing/${encodeURIComponent(rule.id)}`, { credits: Number(credits), description: description.trim(), active })
        : post<{ rule: PricingRule }>('/api/admin/pricing', { operation: operation.trim(), unit, credits: Number(credits), ...(description.trim() ? { description: description.trim() } : {}) }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['admin', 'pricing'] });
      void queryClient.invalidateQueries({ queryKey: ['pricing'] });
      void queryClient.invalidateQueries({ queryKey: ['estimate'] });
      onClose();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
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
            <Field label="Operation" value={operation} onChange={(e) => setOperation(e.target.value)} placeholder="e.g. sms" required error={fe.operation} />
            <div className="field">
              <label htmlFor={ids.unit}>Unit</label>
              <select id={ids.unit} value={unit} onChange={(e) => setUnit(e.target.value)}>
                {UNITS.map((u) => (
                  <option key={u} value={u}>
                    {unitLabel(u)}
                  </option>
                ))}
              </select>
            </div>
          </div>
        )}
        <Field label="Credits per unit" type="number" min="0" step="0.001" value={credits} onChange={(e) => setCredits(e.target.value)} required error={fe.credits} />
        <Field label="Description" value={description} onChange={(e) => setDescription(e.target.value)} error={fe.description} />
        {rule ? (
          <div className="check">
            <input id={ids.active} type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} />
            <label htmlFor={ids.active}>Active</label>
          </div>
        ) : null}
        <ErrorMessage error={save.error} inline={['operation', 'credits', 'description']} />
        <div className="actions">
          <button type="button" className="button button-ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={save.isPending}>
            {rule ? 'Save rule' : 'Create rule'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

export function AdminPricing() {
  const h = useId();
  const [editing, setEditing] = useState<PricingRule | 'new' | null>(null);
  const [showOld, setShowOld] = useState(false);
  const showOldId = useId();
  const rules = useQuery({
    queryKey: ['admin', 'pricing'],
    queryFn: ({ signal }) => get<{ items: PricingRule[] }>('/api/admin/pricing', signal),
  });
  const all = rules.data?.items ?? [];
  const items = (showOld ? all : all.filter((r) => r.active)).slice().sort((a, b) => a.operation.localeCompare(b.operation) || a.unit.localeCompare(b.unit) || (b.version ?? 0) - (a.version ?? 0));
  return (
    <section className="card" aria-labelledby={h}>
      <div className="card-head">
        <h2 id={h}>Pricing rules</h2>
        <div className="card-actions">
          <div className="check">
            <input id={showOldId} type="checkbox" checked={showOld} onChange={(e) => setShowOld(e.target.checked)} />
            <label htmlFor={showOldId}>Show old versions</label>
          </div>
          <button type="button" className="button button-primary button-small" onClick={() => setEditing('new')}>
            New rule
          </button>
        </div>
      </div>
      <ErrorMessage error={rules.error} />
      {rules.isPending ? <Loading /> : null}
      {rules.isSuccess && items.length === 0 ? <Empty>No pricing rules.</Empty> : null}
      {items.length > 0 ? (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Operation</th>
                <th scope="col">Unit</th>
                <th scope="col" className="num">
                  Credits
                </th>
                <th scope="col">Description</th>
                <th scope="col" className="num">
                  Version
                </th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((r) => (
                <tr key={r.id} className={r.active ? '' : 'row-inactive'}>
                  <td>{humanize(r.operation)}</td>
                  <td>{unitLabel(r.unit)}</td>
                  <td className="num">{formatCredits(r.credits)}</td>
                  <td>{r.description ?? ''}</td>
                  <td className="num">{r.version ?? 1}</td>
                  <td>{r.active ? <Badge tone="ok">Active</Badge> : <Badge>Inactive</Badge>}</td>
                  <td className="right">
                    {r.active ? (
                      <button type="button" className="button button-small" onClick={() => setEditing(r)} aria-label={`Edit ${humanize(r.operation)} ${unitLabel(r.unit)}`}>
                        Edit
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {editing ? <RuleDialog rule={editing === 'new' ? null : editing} onClose={() => setEditing(null)} /> : null}
    </section>
  );
}
