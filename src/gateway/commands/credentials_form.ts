/**
 * The registration form's fields (email, password, cookies) and how submitted values become
 * Messenger {@link Credentials}: shared by the register command and XEP-0077 in-band
 * registration, so both ask for and accept exactly the same things.
 *
 * Nothing here logs or quotes a submitted value: error sentences name the field, never its content.
 *
 * @module
 */

import { Secret } from "../../secret.ts";
import { type Credentials, parseCookies } from "../../messenger/credentials.ts";
import { isMessengerError } from "../../messenger/errors.ts";
import { CommandError, type Field, type FieldValue, type FormValues } from "../command.ts";

/** Title of the registration form. */
export const REGISTRATION_TITLE = "Log in to Facebook Messenger";

/** What every registration form asks for. */
const GIVE_CREDENTIALS =
  "Give the email and password of your Facebook account, or instead your facebook.com session " +
  "cookies (they work where Facebook blocks password logins).";

/** What the register command's credentials form tells the user: the preferences come after it. */
export const REGISTRATION_INSTRUCTIONS = `${GIVE_CREDENTIALS} The gateway keeps only the ` +
  "Messenger session, not your password, unless you choose to keep it once you are logged in.";

/**
 * What the in-band registration form (XEP-0077) tells the user: it is the whole registration, so
 * it promises no later step; keeping the password is the preferences command's business.
 */
export const IN_BAND_REGISTRATION_INSTRUCTIONS = `${GIVE_CREDENTIALS} The gateway keeps only ` +
  "the Messenger session, not your password (the 'preferences' command can keep it for re-logins).";

/** The registration form's fields. None is required alone: a password or cookies will do. */
export const CREDENTIAL_FIELDS: readonly Field[] = [
  {
    name: "email",
    type: "text-single",
    label: "Email",
    description: "The email address or phone number you log in to Facebook with",
  },
  { name: "password", type: "text-private", label: "Password" },
  {
    name: "cookies",
    type: "text-multi",
    label: "Cookies",
    description: "Instead of email and password: your facebook.com cookies, as an appState " +
      "JSON export or as a 'c_user=…; xs=…' string, copied from a logged-in browser",
    neededWhen: (values) => !(given(values.email) && given(values.password)),
  },
];

function given(value: FieldValue | undefined): boolean {
  return typeof value === "string" && value.trim() !== "";
}

/** Credentials from a submitted registration form; `bad_input` names what is missing or wrong. */
export function credentialsFrom(values: FormValues): Credentials {
  const cookies = typeof values.cookies === "string" ? values.cookies.trim() : "";
  if (cookies !== "") {
    try {
      return { kind: "cookies", cookies: parseCookies(cookies) };
    } catch (error) {
      // parseCookies' messages name the problem, never a cookie value.
      if (isMessengerError(error, "bad_request")) {
        throw new CommandError("bad_input", `Cookies: ${error.message}`);
      }
      throw error;
    }
  }
  const email = typeof values.email === "string" ? values.email.trim() : "";
  const password = typeof values.password === "string" ? values.password : "";
  if (email === "" || password === "") {
    throw new CommandError(
      "bad_input",
      email === "" && password === ""
        ? "Give your Facebook email and password, or your facebook.com cookies"
        : email === ""
        ? "Email: give the email you log in to Facebook with (or cookies instead)"
        : "Password: give your Facebook password (or cookies instead)",
    );
  }
  return { kind: "password", email, password: new Secret(password) };
}
