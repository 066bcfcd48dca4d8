import type { ConnectionLike } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes.js';

/** `KEYWORD_LIST` → `KeywordList`: the type as the Temporal CLI and tcld spell it. */
const cliTypeName = (type: string) =>
  type
    .toLowerCase()
    .split('_')
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join('');

export interface SearchAttributeCheck {
  /** Our search attributes the namespace lacks; every run start and status upsert fails until they exist. */
  missing: string[];
  /** What to run to create them, on a self-hosted cluster and on Temporal Cloud. */
  fix: string[];
}

/** Asks the namespace which custom search attributes it has and names the ones of ours that are missing. */
export async function checkSearchAttributes(
  connection: Pick<ConnectionLike, 'operatorService'>,
  namespace: string,
): Promise<SearchAttributeCheck> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const absent = SEARCH_ATTRIBUTES.filter((key) => !(key.name in (customAttributes ?? {})));
  return {
    missing: absent.map((key) => key.name),
    fix: absent.flatMap((key) => [
      `temporal operator search-attribute create --name ${key.name} --type ${cliTypeName(key.type)} --namespace ${namespace}`,
      `tcld namespace search-attributes add --namespace ${namespace} --search-attribute "${key.name}=${cliTypeName(key.type)}"`,
    ]),
  };
}

/** The check's one-line reason, for a readiness answer or an error. */
export const missingSearchAttributesMessage = ({ missing }: SearchAttributeCheck) =>
  `the Temporal namespace lacks the search attributes ${missing.join(', ')}; create them (see the log or README runbook)`;
