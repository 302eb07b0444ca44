/**
 * Database faults on demand: a Kysely plugin that makes the next `times` statements of a
 * kind on a table fail as a lost connection would, and a Core whose queries go through it
 * (the writer keeps the real database).
 */
import type { KyselyPlugin, RootOperationNode } from 'kysely';
import type { Core } from '../../src/core/index.js';

type Kind = 'select' | 'insert' | 'update';

function tableOf(node: RootOperationNode): { kind: Kind; table: string | undefined } | null {
  const n = node as unknown as {
    kind: string;
    from?: { froms: { table?: { identifier?: { name?: string } } }[] };
    into?: { table?: { identifier?: { name?: string } } };
    table?: { table?: { identifier?: { name?: string } } };
  };
  if (n.kind === 'SelectQueryNode') return { kind: 'select', table: n.from?.froms[0]?.table?.identifier?.name };
  if (n.kind === 'InsertQueryNode') return { kind: 'insert', table: n.into?.table?.identifier?.name };
  if (n.kind === 'UpdateQueryNode') return { kind: 'update', table: n.table?.table?.identifier?.name };
  return null;
}

export function failing(kind: Kind, table: string, times = 1): KyselyPlugin & { left(): number } {
  let left = times;
  return {
    left: () => left,
    transformQuery(args) {
      const t = tableOf(args.node);
      if (t && t.kind === kind && t.table === table && left > 0) {
        left--;
        throw Object.assign(new Error('connection reset by peer'), { code: 'ECONNRESET' });
      }
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
}

/** `core` whose direct queries hit the fault. */
export function coreWithFault(core: Core, plugin: KyselyPlugin): Core {
  return { ...core, database: { ...core.database, db: core.database.db.withPlugin(plugin) } };
}
