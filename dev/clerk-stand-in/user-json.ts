import type { UserRecord } from './user-store.js';

/** Offline stand-in for the avatar Clerk generates for a user without a picture. */
const DEFAULT_IMAGE_URL = 'https://www.gravatar.com/avatar?d=mp';

/**
 * A user in the Backend API's JSON shape (fields and nulls as in Clerk's OpenAPI examples), which
 * `@clerk/backend` turns into its `User` class. Also the `data` of `user.created` webhooks.
 */
export function userJson(user: UserRecord) {
  return {
    object: 'user',
    id: user.id,
    external_id: user.externalId,
    primary_email_address_id: user.emailAddresses[0]?.id ?? null,
    primary_phone_number_id: null,
    primary_web3_wallet_id: null,
    username: user.username,
    first_name: user.firstName,
    last_name: user.lastName,
    profile_image_url: DEFAULT_IMAGE_URL,
    image_url: DEFAULT_IMAGE_URL,
    has_image: false,
    public_metadata: user.publicMetadata,
    private_metadata: user.privateMetadata,
    unsafe_metadata: user.unsafeMetadata,
    email_addresses: user.emailAddresses.map((email) => ({
      id: email.id,
      object: 'email_address',
      email_address: email.emailAddress,
      reserved: false,
      verification: { status: 'verified', strategy: 'admin', attempts: null, expire_at: null },
      linked_to: [],
      matches_sso_connection: false,
      created_at: email.createdAt,
      updated_at: email.createdAt,
    })),
    phone_numbers: [],
    web3_wallets: [],
    passkeys: [],
    password_enabled: user.passwordEnabled,
    two_factor_enabled: false,
    totp_enabled: false,
    backup_code_enabled: false,
    mfa_enabled_at: null,
    mfa_disabled_at: null,
    external_accounts: [],
    saml_accounts: [],
    enterprise_accounts: [],
    last_sign_in_at: null,
    banned: false,
    locked: false,
    lockout_expires_in_seconds: null,
    verification_attempts_remaining: null,
    created_at: user.createdAt,
    updated_at: user.updatedAt,
    delete_self_enabled: true,
    create_organization_enabled: true,
    create_organizations_limit: null,
    last_active_at: null,
    legal_accepted_at: null,
  };
}

/** What DELETE answers and what `user.deleted` carries. */
export function deletedUserJson(user: UserRecord) {
  return {
    object: 'user',
    id: user.id,
    deleted: true,
    ...(user.externalId !== null ? { external_id: user.externalId } : {}),
  };
}
