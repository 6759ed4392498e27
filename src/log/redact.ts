/**
 * Removes credentials from text before it reaches a log line: passwords inside
 * connection URLs and `password=` style pairs. The full redactor of the audit issue
 * grows from here; this covers what the read path can leak (connection strings).
 */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/@]*):([^\s@/]*)@/gi;
const URL_USER_ONLY = /\b((?:postgres|postgresql|mysql|mariadb):\/\/)([^\s:/@]+)@/gi;
const PASSWORD_PAIR = /\b(password|passwd|pwd|secret|token)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&;,]+)/gi;

export function redactText(text: string): string {
  return text
    .replace(URL_CREDENTIALS, '$1***:***@')
    .replace(URL_USER_ONLY, '$1***@')
    .replace(PASSWORD_PAIR, '$1$2***');
}
