/**
 * Settings that are valid but almost certainly not what the admin meant: values copied unchanged
 * from `config.example.toml`. They do not stop the gateway (a demo on a laptop may keep them), but
 * `--check-config` and the start say so.
 *
 * @module
 */

import type { Config } from "./config.ts";

/**
 * Domains reserved for examples (RFC 2606): nobody's real XMPP account lives there, so an admin
 * address on one is a placeholder left in place.
 */
const EXAMPLE_DOMAIN = /@(example\.(org|com|net)|[^@]*\.example)$/i;

/** One sentence per placeholder found, each naming the key and the file (never the secret). */
export function configWarnings(config: Config): string[] {
  const warnings: string[] = [];
  if (/change-?me/i.test(config.component.secret.reveal())) {
    warnings.push(
      `component.secret in ${config.file} is still the example's placeholder: set the secret ` +
        "agreed with your XMPP server (its component_secret), or MESSENGER_GATEWAY_SECRET",
    );
  }
  for (const admin of config.gateway.admins) {
    if (EXAMPLE_DOMAIN.test(admin)) {
      warnings.push(
        `gateway.admins in ${config.file} lists ${admin}, the example's placeholder: put your ` +
          "own XMPP address there",
      );
    }
  }
  return warnings;
}
