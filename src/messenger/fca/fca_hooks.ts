/**
 * Worker-only: what the adapter changes in fca-unofficial's behaviour from outside the package,
 * through its `utils` module (the account's own copy, the one its fca uses: fca_loader.ts).
 *
 * - **Tokens fca cannot find.** fca builds its request defaults from the home page with
 *   `utils.makeDefaults(html, userID, ctx)`; wrapped, the adapter reads the page the 2026 way too
 *   (page_tokens.ts) and sets `ctx.fb_dtsg` / `ctx.ttstamp` (which fca prefers to its own) and
 *   `ctx.mqttEndpoint` / `ctx.region` when fca found none. The LSD token goes on every request:
 *   as form field `lsd` here, as header `x-fb-lsd` through the HTTP interception.
 * - **Answers fca misreads.** Every request fca makes through its defaults is checked
 *   (facebook_problems.ts): a checkpoint or a refused session (1357001, 1357004) fails the call
 *   with a clear error object instead of a parse error, a 302 "status code" or a crash.
 * - **The page behind a login.** `utils.saveCookies` sees every page fca loads, with the address it
 *   ended at after redirects: a cookie login that lands on a checkpoint fails as a checkpoint with
 *   that address, instead of "succeeding" into a dead session.
 * - **Refreshing the tokens** ({@link FcaHooks.refresh}): one GET of the home page through fca's
 *   own cookie jar and user agent, as current clients do every few hours.
 *
 * @module
 */

import { type FacebookProblem, problemFromAnswer, problemFromPage } from "./facebook_problems.ts";
import { hasLegacyDtsg, type PageTokens, pageTokensFrom, ttstampOf } from "./page_tokens.ts";

// deno-lint-ignore no-explicit-any
type Fca = any;

/** The value current web clients send as `x-asbd-id` (shared/notes/facebook-2026.md). */
export const ASBD_ID = "359341";

/** Where the tokens are refreshed from. */
export const REFRESH_URL = "https://www.facebook.com/home.php";

/** What a refresh found (names only: token values never leave the Worker). */
export interface RefreshOutcome {
  fbDtsg: boolean;
  lsd: boolean;
}

/** The page fca loaded last, as the address it ended at and its body. */
interface LoadedPage {
  url?: string;
  html: string;
}

/** The hooks of one account's copy of fca. Install once, before fca logs in. */
export class FcaHooks {
  #lsd: string | undefined;
  #lastPage: LoadedPage | undefined;
  readonly #utils: Fca;
  readonly #debug: (message: string) => void;

  /** `utils`: the account's copy of fca's utils.js. */
  constructor(utils: Fca, debug: (message: string) => void) {
    this.#utils = utils;
    this.#debug = debug;
  }

  /** The headers the HTTP interception adds to Facebook requests. */
  headers(): Record<string, string> {
    const headers: Record<string, string> = { "x-asbd-id": ASBD_ID };
    if (this.#lsd !== undefined) headers["x-fb-lsd"] = this.#lsd;
    return headers;
  }

  /** Wraps fca's `makeDefaults` and `saveCookies` (idempotent per copy of fca). */
  install(): void {
    const utils = this.#utils;
    if (utils.__messengerGatewayHooks === true) return;
    utils.__messengerGatewayHooks = true;
    const makeDefaults = utils.makeDefaults;
    utils.makeDefaults = (html: string, userID: string, ctx: Fca) => {
      this.#adoptPage(String(html ?? ""), ctx);
      return this.#guardDefaults(makeDefaults(html, userID, ctx));
    };
    const saveCookies = utils.saveCookies;
    utils.saveCookies = (jar: Fca) => {
      const save = saveCookies(jar);
      return (response: Fca) => {
        if (typeof response?.body === "string") {
          const url = response.request?.uri?.href;
          this.#lastPage = { html: response.body, ...(typeof url === "string" ? { url } : {}) };
        }
        return save(response);
      };
    };
  }

  /**
   * The checkpoint the page fca loaded last shows, if any: a login that failed there failed
   * because of it (whatever fca said), and a refresh that lands there has found one.
   */
  lastPageProblem(): FacebookProblem | undefined {
    const page = this.#lastPage;
    return page === undefined ? undefined : problemFromPage(page.url, page.html);
  }

  /**
   * Loads the home page again and takes its tokens. Rejects with the checkpoint it shows, or
   * `{error: "Not logged in."}` when Facebook logged the session out (no `c_user` any more, or no
   * token on the page).
   */
  async refresh(ctx: Fca): Promise<RefreshOutcome> {
    const utils = this.#utils;
    const response = await utils.get(REFRESH_URL, ctx.jar, null, ctx.globalOptions, ctx)
      .then(utils.saveCookies(ctx.jar));
    const html = String(response?.body ?? "");
    const problem = problemFromPage(response?.request?.uri?.href, html);
    if (problem !== undefined) throw problem;
    const loggedIn = (ctx.jar.getCookies("https://www.facebook.com") as Fca[])
      .some((cookie) => cookie.key === "c_user");
    const tokens = pageTokensFrom(html);
    if (!loggedIn || tokens.fbDtsg === undefined) throw { error: "Not logged in." };
    this.#setDtsg(ctx, tokens.fbDtsg);
    if (tokens.lsd !== undefined) this.#lsd = tokens.lsd;
    return { fbDtsg: true, lsd: tokens.lsd !== undefined };
  }

  /** Gives fca what the login page tells and fca could not read; fails on a checkpoint page. */
  #adoptPage(html: string, ctx: Fca): void {
    const problem = problemFromPage(this.#lastPage?.url, html);
    if (problem !== undefined) throw problem;
    const tokens: PageTokens = pageTokensFrom(html);
    if (tokens.lsd !== undefined) this.#lsd = tokens.lsd;
    if (!hasLegacyDtsg(html) && tokens.fbDtsg !== undefined) {
      this.#setDtsg(ctx, tokens.fbDtsg);
      this.#debug("Took the request token from DTSGInitialData (fca found none)");
    }
    if (!ctx.mqttEndpoint && tokens.mqttEndpoint !== undefined) {
      ctx.mqttEndpoint = tokens.mqttEndpoint;
      ctx.region = tokens.region;
      this.#debug(`Took the MQTT endpoint from MqttWebConfig (region ${tokens.region})`);
    }
  }

  #setDtsg(ctx: Fca, fbDtsg: string): void {
    ctx.fb_dtsg = fbDtsg;
    ctx.ttstamp = ttstampOf(fbDtsg);
  }

  /** Adds `lsd` to fca's forms and checks every answer (see the module documentation). */
  #guardDefaults(defaults: Fca): Fca {
    const check = (response: Fca) => {
      const problem = problemFromAnswer({
        statusCode: response?.statusCode,
        location: response?.headers?.location,
        body: typeof response?.body === "string" ? response.body : undefined,
      }) ?? redirectedProblem(response);
      if (problem !== undefined) throw problem;
      return response;
    };
    const { get, post, postFormData } = defaults;
    defaults.get = (url: string, jar: Fca, qs: Fca, ctx: Fca) => get(url, jar, qs, ctx).then(check);
    defaults.post = (url: string, jar: Fca, form: Fca, ctx: Fca) =>
      post(url, jar, this.#withLsd(form), ctx).then(check);
    defaults.postFormData = (url: string, jar: Fca, form: Fca, qs: Fca, ctx: Fca) =>
      postFormData(url, jar, this.#withLsd(form), qs, ctx).then(check);
    return defaults;
  }

  #withLsd(form: Fca): Fca {
    if (this.#lsd === undefined || typeof form !== "object" || form === null || "lsd" in form) {
      return form;
    }
    return { ...form, lsd: this.#lsd };
  }
}

/** A GET that `request` followed to a checkpoint page. */
function redirectedProblem(response: Fca): FacebookProblem | undefined {
  const url = response?.request?.uri?.href;
  if (typeof url !== "string" || !url.includes("checkpoint")) return undefined;
  return problemFromPage(url, typeof response?.body === "string" ? response.body : "");
}
