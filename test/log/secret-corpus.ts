/**
 * Made-up secrets in the shapes real ones have, each inside the kind of text it
 * leaks through (a SQL literal, a JSON document, an error message, a connection
 * string, a log line). None is a real credential: every random part comes from
 * a seeded generator, and no token is written out whole in this file, so secret
 * scanners have nothing to flag and nothing here is ever valid anywhere.
 */

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const BASE64URL = ALNUM + '-_';
const BASE64 = ALNUM + '+/';
const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0234567';
const HEX = '0123456789abcdef';
const PASSWORD_CHARS = ALNUM + '!#%^*()-_+[]~.';

/** mulberry32: the same seed always gives the same "random-looking" string. */
function fake(seed: number, length: number, alphabet = ALNUM): string {
  let state = seed >>> 0;
  let out = '';
  for (let i = 0; i < length; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const r = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out += alphabet[Math.floor(r * alphabet.length)];
  }
  return out;
}

function b64url(json: object): string {
  return Buffer.from(JSON.stringify(json)).toString('base64url');
}

function pemBody(seed: number, lines: number): string {
  return Array.from({ length: lines }, (_, i) => fake(seed + i, 64, BASE64)).join('\n');
}

function pem(label: string, body: string): string {
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----`;
}

export interface SecretSample {
  /** What the test reports when this sample leaks. */
  readonly name: string;
  /** The secret part: none of it (no 8-character piece) may survive redaction. */
  readonly secret: string;
  /** The secret in realistic surrounding text. */
  readonly text: string;
}

const jwt = [
  b64url({ alg: 'RS256', typ: 'JWT', kid: 'k1' }),
  b64url({ sub: 'alice', iss: 'https://idp.example.com', aud: 'bastion', exp: 1893456000, role: 'reader' }),
  fake(101, 86, BASE64URL),
].join('.');
const jwtSecond = [b64url({ alg: 'HS256' }), b64url({ sub: 'svc-report', scope: 'query' }), fake(102, 43, BASE64URL)].join('.');

const apiKey = 'ak' + '_' + fake(1, 43, BASE64URL);
const opaqueBearer = fake(2, 24, ALNUM) + '.' + fake(3, 16, BASE64URL);
const basicCredentials = Buffer.from('svc_reader:' + fake(4, 18, ALNUM)).toString('base64');
const pgPassword = fake(5, 16, ALNUM);
const mysqlPassword = fake(6, 14, ALNUM);
const mongoPassword = fake(7, 20, ALNUM);
const redisPassword = fake(8, 24, ALNUM);
const gitToken = 'gh' + 'p_' + fake(9, 36);
const libpqPassword = fake(10, 18, PASSWORD_CHARS);
const quotedPassword = 'correct horse ' + fake(11, 12);
const odbcPassword = fake(12, 10) + ';' + fake(13, 6);
const jdbcPassword = fake(14, 15);
const envPassword = fake(15, 22);
const yamlPassword = fake(16, 19);
const jsonPassword = fake(17, 21, PASSWORD_CHARS.replace('\\', ''));
const sqlPassword = fake(18, 16);
const mysqlIdentified = fake(19, 13);
const secretValue = fake(20, 32, BASE64URL);
const tokenValue = fake(21, 40, HEX);
const apiKeyValue = fake(22, 32, ALNUM);
const clientSecret = fake(23, 34, BASE64URL);
const rsaBody = pemBody(200, 6);
const opensshBody = pemBody(210, 5);
const ecBody = pemBody(220, 3);
const encryptedBody = pemBody(230, 4);
const pkcs8Body = pemBody(240, 8);
const cutBody = pemBody(250, 4);
const gcpKeyBody = pemBody(260, 5);
const awsKeyId = 'AK' + 'IA' + fake(24, 16, UPPER_ALNUM);
const awsSessionKeyId = 'AS' + 'IA' + fake(25, 16, UPPER_ALNUM);
const awsSecret = fake(26, 40, BASE64);
const awsJsonSecret = fake(27, 40, BASE64);
const gcpApiKey = 'AI' + 'za' + fake(28, 35, BASE64URL);
const gcpOauthSecret = 'GOC' + 'SPX-' + fake(29, 28, BASE64URL);
const gcpAccessToken = 'ya' + '29.' + fake(30, 120, BASE64URL);
const azureAccountKey = fake(31, 86, BASE64) + '==';
const azureSig = fake(32, 43, BASE64).replace(/\+/g, '%2B').replace(/\//g, '%2F') + '%3D';
const azureSharedAccessKey = fake(33, 43, BASE64) + '=';
const azureClientSecret = fake(34, 3) + '8Q' + '~' + fake(35, 34, ALNUM + '_~.-');
const ghoToken = 'gh' + 'o_' + fake(36, 36);
const ghsToken = 'gh' + 's_' + fake(37, 36);
const ghrToken = 'gh' + 'r_' + fake(38, 36);
const ghuToken = 'gh' + 'u_' + fake(39, 36);
const githubPat = 'github' + '_pat_' + fake(40, 22) + '_' + fake(41, 59);
const slackBot = 'xo' + 'xb-' + fake(42, 12, '0123456789') + '-' + fake(43, 13, '0123456789') + '-' + fake(44, 24);
const slackUser = 'xo' + 'xp-' + fake(45, 12, '0123456789') + '-' + fake(46, 12, '0123456789') + '-' + fake(47, 32, HEX);
const slackApp = 'xo' + 'xa-2-' + fake(48, 40);
const slackRefresh = 'xo' + 'xr-' + fake(49, 60, BASE64URL);
const slackSession = 'xo' + 'xs-' + fake(50, 12, '0123456789') + '-' + fake(51, 40);
const slackWebhookPath = 'T' + fake(52, 8, UPPER_ALNUM) + '/B' + fake(53, 10, UPPER_ALNUM) + '/' + fake(54, 24);
const stripeLive = 'sk' + '_live_' + fake(55, 99);
const stripeTest = 'sk' + '_test_' + fake(56, 24);
const stripeRestricted = 'rk' + '_live_' + fake(57, 24);
const stripeWebhook = 'wh' + 'sec_' + fake(58, 32);
const openaiKey = 'sk' + '-proj-' + fake(59, 48, BASE64URL);
const anthropicKey = 'sk' + '-ant-api03-' + fake(60, 80, BASE64URL);
const gitlabToken = 'gl' + 'pat-' + fake(61, 20, BASE64URL);
const npmToken = 'np' + 'm_' + fake(62, 36);
const privateKeyLabel = fake(63, 44, BASE64);
const pgpBody = pemBody(270, 4);
const commentedBody = pemBody(280, 3);
const oddLineBody = pemBody(290, 3);
const crBody = pemBody(300, 3);
const longQuoted = fake(65, 1030, ALNUM) + fake(66, 12, ALNUM);
const twoLinePassword = [fake(67, 9, ALNUM), fake(68, 11, ALNUM)];
const twoLineRolePassword = [fake(69, 10, ALNUM), fake(70, 10, ALNUM)];
const shortJwt = [b64url({ alg: 'HS256' }), b64url({ s: 1 }), fake(71, 3, BASE64URL)].join('.');
const arrowToken = fake(72, 14, ALNUM);
const lettersBearer = fake(73, 20, 'abcdefghijklmnopqrstuvwxyz');

export const SECRET_CORPUS: readonly SecretSample[] = [
  // Bastion's own API keys
  { name: 'api key in a request log line', secret: apiKey, text: `2026-11-22T10:00:00Z WARN auth rejected key=${apiKey} ip=10.0.0.7` },
  { name: 'api key pasted into a SQL literal', secret: apiKey, text: `SELECT * FROM audit WHERE note = 'rotated ${apiKey} yesterday'` },
  { name: 'api key in a JSON config', secret: apiKey, text: `{"client":{"name":"cursor","api_key":"${apiKey}"}}` },
  // JWTs and bearer tokens
  { name: 'JWT in an Authorization header', secret: jwt, text: `GET /mcp HTTP/1.1\r\nAuthorization: Bearer ${jwt}\r\nHost: localhost` },
  { name: 'JWT in a verify error', secret: jwt, text: `JWTExpired: "exp" claim timestamp check failed for token ${jwt}` },
  { name: 'JWT as an id_token in JSON', secret: jwtSecond, text: `{"id_token":"${jwtSecond}","expires_in":3600}` },
  { name: 'JWT in a URL query', secret: jwtSecond, text: `redirect to https://app.example.com/cb?access_token=${jwtSecond}&state=xyz` },
  { name: 'opaque bearer token in a curl line', secret: opaqueBearer, text: `curl -H "Authorization: Bearer ${opaqueBearer}" http://127.0.0.1:7300/mcp` },
  { name: 'bearer token in prose', secret: opaqueBearer, text: `retrying with bearer ${opaqueBearer} after 401` },
  { name: 'basic credentials in a header dump', secret: basicCredentials, text: `headers: {"authorization":"Basic ${basicCredentials}","accept":"*/*"}` },
  // passwords in URLs
  { name: 'postgres URL password', secret: pgPassword, text: `connect ECONNREFUSED for postgres://app:${pgPassword}@db.internal:5432/prod` },
  { name: 'mysql URL password', secret: mysqlPassword, text: `bastion serve --db mysql://root:${mysqlPassword}@127.0.0.1:3306/shop` },
  { name: 'mongodb+srv URL password', secret: mongoPassword, text: `MONGO_URL="mongodb+srv://reporter:${mongoPassword}@cluster0.example.net/?retryWrites=true"` },
  { name: 'redis URL with password only', secret: redisPassword, text: `rate limiter store redis://:${redisPassword}@redis.internal:6379/0 unreachable` },
  { name: 'token as the user of a git remote', secret: gitToken, text: `fatal: could not read from https://${gitToken}@github.com/acme/infra.git` },
  // password= style pairs
  { name: 'libpq keyword string', secret: libpqPassword, text: `host=db.internal port=5432 user=app password=${libpqPassword} dbname=prod sslmode=require` },
  { name: 'libpq quoted password with spaces', secret: quotedPassword, text: `host=db user=app password='${quotedPassword}' dbname=prod` },
  { name: 'ODBC braced Pwd', secret: odbcPassword, text: `Driver={ODBC Driver 18 for SQL Server};Server=tcp:sql.example.net,1433;Uid=sa;Pwd={${odbcPassword}};Encrypt=yes;` },
  { name: 'JDBC password parameter', secret: jdbcPassword, text: `jdbc:sqlserver://sql.example.net:1433;databaseName=shop;user=app;password=${jdbcPassword};encrypt=true` },
  { name: 'PGPASSWORD in an env dump', secret: envPassword, text: `env: PGHOST=db PGUSER=app PGPASSWORD=${envPassword} PGDATABASE=prod` },
  { name: 'YAML password key', secret: yamlPassword, text: `sources:\n  main:\n    password: ${yamlPassword}\n    host: db.internal` },
  { name: 'JSON password field', secret: jsonPassword, text: `{"user":"app","password":"${jsonPassword}","host":"db"}` },
  { name: 'SQL ALTER ROLE PASSWORD', secret: sqlPassword, text: `ALTER ROLE app WITH LOGIN PASSWORD '${sqlPassword}' VALID UNTIL 'infinity'` },
  { name: 'MySQL IDENTIFIED BY', secret: mysqlIdentified, text: `CREATE USER 'report'@'%' IDENTIFIED BY '${mysqlIdentified}';` },
  { name: 'secret= pair in a log line', secret: secretValue, text: `level=info msg="webhook configured" secret=${secretValue} retries=3` },
  { name: 'token: pair in an error message', secret: tokenValue, text: `Error: upstream refused the call (token: ${tokenValue})` },
  { name: 'api_key query parameter', secret: apiKeyValue, text: `GET https://api.example.com/v2/items?api_key=${apiKeyValue}&limit=50` },
  { name: 'client_secret in a form body', secret: clientSecret, text: `grant_type=client_credentials&client_id=bastion&client_secret=${clientSecret}` },
  { name: 'private_key label in YAML', secret: privateKeyLabel, text: `signing:\n  private_key: "${privateKeyLabel}"` },
  // private-key blocks
  { name: 'RSA private key block', secret: rsaBody, text: `loaded key:\n${pem('RSA PRIVATE KEY', rsaBody)}\nfrom /etc/bastion/jwt.pem` },
  { name: 'OPENSSH private key block', secret: opensshBody, text: pem('OPENSSH PRIVATE KEY', opensshBody) },
  { name: 'EC private key block', secret: ecBody, text: `SELECT '${pem('EC PRIVATE KEY', ecBody)}' AS k` },
  { name: 'encrypted PKCS#8 block', secret: encryptedBody, text: pem('ENCRYPTED PRIVATE KEY', encryptedBody) },
  { name: 'PKCS#8 block', secret: pkcs8Body, text: `issuer key: ${pem('PRIVATE KEY', pkcs8Body)}` },
  // secret-scan: allow (the corpus is made up)
  { name: 'private key block cut short', secret: cutBody, text: `The database rejected the statement: -----BEGIN PRIVATE KEY-----\n${cutBody}` },
  { name: 'PGP private key block with armour headers', secret: pgpBody, text: pem('PGP PRIVATE KEY BLOCK', `Version: GnuPG v2\nComment: made up\n\n${pgpBody}\n=${fake(271, 4, BASE64)}`) },
  { name: 'PEM block with a Comment line', secret: commentedBody, text: `key: ${pem('RSA PRIVATE KEY', `Comment: "ops key, 2026"\n${commentedBody}`)}\nloaded` },
  { name: 'PEM block with a line that is not base64', secret: oddLineBody, text: pem('PRIVATE KEY', `MIIEvQ!!x\n${oddLineBody}`) },
  { name: 'PEM block with bare CR line breaks', secret: crBody.split('\n').join('\r'), text: pem('EC PRIVATE KEY', crBody).split('\n').join('\r') },
  // quoted values: long, and with a line break inside
  { name: 'quoted password over 1,024 characters', secret: longQuoted, text: `password="${longQuoted}" host=db` },
  { name: 'quoted password with a line break', secret: twoLinePassword.join('\n'), text: `host=db password="${twoLinePassword.join('\n')}" dbname=prod` },
  { name: 'ALTER ROLE password with a line break', secret: twoLineRolePassword.join('\n'), text: `ALTER ROLE app PASSWORD '${twoLineRolePassword.join('\n')}' VALID UNTIL 'infinity'` },
  // short JWTs, arrows, letters-only bearer tokens
  { name: 'JWT with short payload and signature', secret: shortJwt, text: `token ${shortJwt} rejected` },
  { name: 'token after an arrow separator', secret: arrowToken, text: `{:token=>${arrowToken}, :user=>"app"}` },
  { name: 'letters-only bearer token, lowercase scheme', secret: lettersBearer, text: `retrying with bearer ${lettersBearer} after 401` },
  // AWS
  { name: 'AWS access key id', secret: awsKeyId, text: `InvalidClientTokenId: The security token included in the request is invalid (key ${awsKeyId})` },
  { name: 'AWS session key id in JSON', secret: awsSessionKeyId, text: `{"AccessKeyId":"${awsSessionKeyId}","Expiration":"2026-11-22T12:00:00Z"}` },
  { name: 'AWS secret in a credentials file', secret: awsSecret, text: `[default]\naws_access_key_id = ${awsKeyId}\naws_secret_access_key = ${awsSecret}\nregion = eu-west-1` },
  { name: 'AWS secret in STS JSON', secret: awsJsonSecret, text: `{"Credentials":{"SecretAccessKey":"${awsJsonSecret}","SessionToken":"${fake(64, 60, BASE64)}"}}` },
  // GCP
  // secret-scan: allow (made up, as the whole corpus)
  { name: 'GCP service account private_key', secret: gcpKeyBody.split('\n').join('\\n'), text: `{"type":"service_account","project_id":"acme-prod","private_key_id":"3a1f","private_key":"-----BEGIN PRIVATE KEY-----\\n${gcpKeyBody.split('\n').join('\\n')}\\n-----END PRIVATE KEY-----\\n","client_email":"bastion@acme-prod.iam.gserviceaccount.com"}` },
  { name: 'GCP API key in a URL', secret: gcpApiKey, text: `https://maps.googleapis.com/maps/api/geocode/json?address=Berlin&key=${gcpApiKey}` },
  { name: 'GCP OAuth client secret', secret: gcpOauthSecret, text: `oauth client misconfigured: ${gcpOauthSecret} does not match` },
  { name: 'GCP access token', secret: gcpAccessToken, text: `request had invalid authentication credentials: ${gcpAccessToken}` },
  // Azure
  { name: 'Azure storage connection string', secret: azureAccountKey, text: `DefaultEndpointsProtocol=https;AccountName=acmelogs;AccountKey=${azureAccountKey};EndpointSuffix=core.windows.net` },
  { name: 'Azure SAS URL signature', secret: azureSig, text: `PUT https://acmelogs.blob.core.windows.net/audit/a.jsonl?sv=2022-11-02&ss=b&srt=o&sp=rw&se=2026-12-01T00:00:00Z&sig=${azureSig} 403` },
  { name: 'Azure Service Bus SharedAccessKey', secret: azureSharedAccessKey, text: `Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=${azureSharedAccessKey}` },
  { name: 'Azure AD client secret', secret: azureClientSecret, text: `AADSTS7000215: Invalid client secret provided (${azureClientSecret}).` },
  // GitHub
  { name: 'GitHub classic PAT', secret: gitToken, text: `export GITHUB_TOKEN=${gitToken}` },
  { name: 'GitHub OAuth token', secret: ghoToken, text: `{"access_token":"${ghoToken}","scope":"repo"}` },
  { name: 'GitHub app installation token', secret: ghsToken, text: `git clone https://x-access-token:${ghsToken}@github.com/acme/app` },
  { name: 'GitHub refresh token', secret: ghrToken, text: `INSERT INTO tokens VALUES (1, '${ghrToken}')` },
  { name: 'GitHub user-to-server token', secret: ghuToken, text: `Bad credentials for ${ghuToken}` },
  { name: 'GitHub fine-grained PAT', secret: githubPat, text: `gh auth login --with-token <<< ${githubPat}` },
  // Slack
  { name: 'Slack bot token', secret: slackBot, text: `slack notify failed: invalid_auth (${slackBot})` },
  { name: 'Slack user token', secret: slackUser, text: `{"ok":true,"authed_user":{"access_token":"${slackUser}"}}` },
  { name: 'Slack legacy workspace token', secret: slackApp, text: `SLACK=${slackApp}` },
  { name: 'Slack refresh token', secret: slackRefresh, text: `rotating ${slackRefresh}` },
  { name: 'Slack session token', secret: slackSession, text: `cookie d=${slackSession}; path=/` },
  { name: 'Slack webhook URL', secret: slackWebhookPath, text: `POST https://hooks.slack.com/services/${slackWebhookPath} returned 404` },
  // Stripe
  { name: 'Stripe live secret key', secret: stripeLive, text: `stripe.api_key = "${stripeLive}"` },
  { name: 'Stripe test secret key', secret: stripeTest, text: `Invalid API Key provided: ${stripeTest}` },
  { name: 'Stripe restricted key', secret: stripeRestricted, text: `UPDATE settings SET value = '${stripeRestricted}' WHERE name = 'stripe'` },
  { name: 'Stripe webhook secret', secret: stripeWebhook, text: `STRIPE_WEBHOOK_SECRET=${stripeWebhook}` },
  // other SaaS shapes
  { name: 'OpenAI project key', secret: openaiKey, text: `Incorrect API key provided: ${openaiKey}.` },
  { name: 'Anthropic key', secret: anthropicKey, text: `{"error":{"type":"authentication_error"},"key":"${anthropicKey}"}` },
  { name: 'GitLab PAT', secret: gitlabToken, text: `remote: HTTP Basic: Access denied for ${gitlabToken}` },
  { name: 'npm token', secret: npmToken, text: `//registry.npmjs.org/:_authToken=${npmToken}` },
];

/** Ordinary text the redactor must leave exactly as it is. */
export const BENIGN_CORPUS: readonly string[] = [
  `SELECT id, email, created_at FROM shop.customers WHERE created_at > now() - interval '7 days' ORDER BY id LIMIT 50`,
  'relation "shop.orders" does not exist',
  'password authentication failed for user "app"',
  'UPDATE accounts SET password = $1 WHERE id = $2',
  'SELECT id FROM users WHERE password_hash = ? AND active',
  'ALTER TABLE ai_notes ADD COLUMN token_count integer NOT NULL DEFAULT 0',
  'contact alice.smith@example.com or bob+ops@example.org',
  'correlation id 3f2b8c1e-9a4d-4e6f-8b1a-2c3d4e5f6a7b',
  `audit hash ${fake(300, 64, HEX)} prev ${fake(301, 64, HEX)}`,
  `sha256:${fake(302, 64, HEX)}`,
  `commit ${fake(303, 40, HEX)}`,
  `key_${fake(304, 8, BASE64URL)} created for role reader`,
  `checkout uses ${'pk' + '_live_' + fake(305, 24)} on the web page`,
  'https://docs.example.com/guide/install?page=2#quick-start',
  'postgres://db.internal:5432/prod?sslmode=require',
  'git@github.com:acme/bastion.git',
  'max_tokens: 1024, temperature: 0.2',
  'The token expired at 2026-01-01T00:00:00Z; sign in again',
  'Bearer authentication is required for /mcp',
  '2026-11-22T11:45:34.123Z INFO tool call ok tool=query rows=12 duration_ms=4 design=compact bypass=false',
  'C:\\Users\\app\\AppData\\Local\\bastion\\audit.jsonl',
  '{"rows":[{"id":1,"name":"Widget","price":"9.99"}],"truncated":false}',
  '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----',
  'session_timeout: 30s, scikit-learn 1.5, claude_ai_orders, ai_ledger',
];
