import { SIGNATURE_MAX_SKEW_MS, SIGNING_ALGORITHM } from '#auth/request-signature.ts';

// Written from lib/auth/request-signature.ts, which verifies it, so that a client can sign without the vendor's SDK.
const SIGNATURE = `The vendor SDKs' access-key signature (what lib/auth/request-signature.ts verifies). Send:

- \`X-Sdk-Date\`: the time in UTC as \`YYYYMMDDTHHmmssZ\` (e.g. \`20261201T183559Z\`), within ${SIGNATURE_MAX_SKEW_MS / 60_000} minutes of the service's clock, and signed;
- \`X-Project-Id\` (optional; when sent it must be the path's project);
- \`Authorization: ${SIGNING_ALGORITHM} Access=<AK>, SignedHeaders=<names>, Signature=<hex>\`.

**Signed headers**: the names of the headers you sign, lower-case, sorted, joined with \`;\` (e.g. \`content-type;host;x-project-id;x-sdk-date\`); \`x-sdk-date\` must be among them.

**Canonical request**: these six parts joined with \`\\n\`:
1. the method, upper-case;
2. the path as sent, each \`/\`-separated segment through JavaScript's \`encodeURIComponent\` (an already encoded segment is encoded again), with a \`/\` appended unless it ends with one;
3. the query: parameter names sorted, each value of a name sorted, \`name=value\` with both percent-encoded except \`A-Z a-z 0-9 - _ . ~\` (UTF-8 bytes, upper-case hex), joined with \`&\`; empty without a query;
4. \`name:value\\n\` for each signed header, in the signed order, name lower-case, value as sent (so this part ends with \`\\n\`, and a blank line follows);
5. the signed header names as in \`SignedHeaders\`;
6. the payload hash: the value of \`X-Sdk-Content-Sha256\` if sent (\`UNSIGNED-PAYLOAD\` is refused), else lower-case hex SHA-256 of the body bytes as sent (of the empty string without a body).

**String to sign**: \`${SIGNING_ALGORITHM}\\n<X-Sdk-Date>\\n<lower-case hex SHA-256 of the canonical request>\`.

**Signature**: lower-case hex HMAC-SHA256 of the string to sign, keyed with the secret key (UTF-8).

A request whose \`Authorization\` starts with \`${SIGNING_ALGORITHM} \` is judged by its signature alone (401 \`APIG.1002\` if it does not verify); the access key's project and actions are checked as a token's (403).`;

/** `components.securitySchemes`: a token, or the vendor SDKs' access-key signature. */
export const SECURITY_SCHEMES = {
  token: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Auth-Token',
    description:
      'A JWT with `project_id` (the project it acts in), `actions` (the actions it grants; `*` matches any run of characters) and `exp` (at most 24 h ahead)',
  },
  signature: { type: 'apiKey', in: 'header', name: 'Authorization', description: SIGNATURE },
} as const;

/** The document's default security: either scheme. */
export const SECURITY = [{ token: [] }, { signature: [] }];
