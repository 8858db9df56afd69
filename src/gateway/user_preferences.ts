/**
 * The preferences a registered user can set, their defaults, and how they are kept in the
 * user's record (`UserRecord.preferences`).
 *
 * Each preference here takes effect somewhere real: `save_password` decides whether the email and
 * password are kept for the re-login command (turning it off deletes them at once), and
 * `login_notices` whether the user's session explains a failed login in a chat message (the
 * gateway's presence shows the state either way).
 *
 * @module
 */

import type { Secret } from "../secret.ts";
import { updateUser, type UserRecord } from "../store/user_records.ts";

/** A user's preferences, typed. */
export interface Preferences {
  /** Keep the Messenger email and password so re-login works when the saved cookies stop. */
  save_password: boolean;
  /** Explain a failed or refused login in a chat message from the gateway. */
  login_notices: boolean;
}

/** The name of a preference. */
export type PreferenceName = keyof Preferences;

/** How a preference is shown in forms. */
export interface PreferenceDefinition {
  name: PreferenceName;
  label: string;
  description: string;
}

/** What a user gets before changing anything. */
export const DEFAULT_PREFERENCES: Readonly<Preferences> = {
  save_password: false,
  login_notices: true,
};

/** Every preference, in the order forms show them. */
export const PREFERENCES: readonly PreferenceDefinition[] = [
  {
    name: "save_password",
    label: "Keep my Messenger password",
    description: "The gateway then logs in again with it (re-login) when the saved session " +
      "stops working. Off: only session cookies are kept, and a saved password is deleted.",
  },
  {
    name: "login_notices",
    label: "Explain login problems in a chat message",
    description: "Off: the gateway's status in your roster still shows the login state.",
  },
];

/** An email and password to keep (only when the user opted in with `save_password`). */
export interface SavedLogin {
  email: string;
  password: Secret;
}

/** The preferences stored in a record, with defaults for anything unset or of the wrong type. */
export function preferencesOf(record: Pick<UserRecord, "preferences"> | null): Preferences {
  const stored = record?.preferences ?? {};
  const out: Preferences = { ...DEFAULT_PREFERENCES };
  for (const name of Object.keys(DEFAULT_PREFERENCES) as PreferenceName[]) {
    const value = stored[name];
    if (typeof value === "boolean") out[name] = value;
  }
  return out;
}

/**
 * Stores changed preferences. Turning `save_password` off deletes the saved login; a `login`
 * given while `save_password` is on is saved. Returns the new record, `null` when the user is not
 * registered (nothing is written).
 */
export async function savePreferences(
  kv: Deno.Kv,
  jid: string,
  changes: Partial<Preferences>,
  login?: SavedLogin,
): Promise<UserRecord | null> {
  return await updateUser(kv, jid, (record) => {
    const preferences = { ...record.preferences, ...changes };
    const next: UserRecord = { ...record, preferences };
    if (!preferencesOf(next).save_password) delete next.savedLogin;
    else if (login) next.savedLogin = { email: login.email, password: login.password };
    return next;
  });
}
