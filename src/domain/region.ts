import { z } from 'zod';

/** A region name as providers spell them (`eu-central-1`, `eu`): a short plain name, safe in logs and ids. */
export const REGION_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
export const REGION_NAME_MAX_LENGTH = 63;
export const REGION_NAME_RULE = 'letters, digits, - and _, at most 63';

export const regionNameSchema = z.string().regex(REGION_NAME, { message: `must be ${REGION_NAME_RULE}` });

export const isRegionName = (value: string): boolean => REGION_NAME.test(value);
