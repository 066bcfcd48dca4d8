import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Indexed in Temporal so the UI and `temporal workflow list` can find a user's runs. No PII: ids only. */
export const USER_ID = defineSearchAttributeKey('PerUserDbUserId', SearchAttributeType.KEYWORD);
export const PROVIDER = defineSearchAttributeKey('PerUserDbProvider', SearchAttributeType.KEYWORD);
export const STATUS = defineSearchAttributeKey('PerUserDbStatus', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [USER_ID, PROVIDER, STATUS];
