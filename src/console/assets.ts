/**
 * The console's only script and style sheet, shipped in the package as part of the
 * build and served from /console/static/ (the CSP allows 'self' and nothing else).
 * The script asks for confirmation before a form marked `data-confirm` is posted;
 * the pages work without it.
 */
export const CONSOLE_JS = `'use strict';
document.addEventListener('submit', function (event) {
  var form = event.target;
  var question = form && form.getAttribute && form.getAttribute('data-confirm');
  if (question && !window.confirm(question)) event.preventDefault();
});
`;

export const CONSOLE_CSS = `
body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1b1f24; background: #f6f7f9; }
header { background: #1b1f24; color: #fff; padding: .6rem 1.2rem; display: flex; gap: 1.2rem; align-items: center; flex-wrap: wrap; }
header a { color: #cfe3ff; }
header form { margin-left: auto; }
main { padding: 1rem 1.2rem; max-width: 80rem; }
pre { background: #fff; border: 1px solid #d0d7de; padding: .6rem; overflow-x: auto; white-space: pre-wrap; word-break: break-word; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { border: 1px solid #d0d7de; padding: .3rem .5rem; text-align: left; vertical-align: top; font-size: 13px; }
.card { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; padding: .8rem 1rem; margin-bottom: 1rem; }
.meta { color: #57606a; font-size: 13px; }
.ok { color: #116329; } .bad { color: #a40e26; font-weight: 600; }
.notice { background: #ddf4ff; border: 1px solid #54aeff; padding: .5rem .8rem; margin-bottom: 1rem; }
.error { background: #ffebe9; border: 1px solid #ff8182; padding: .5rem .8rem; margin-bottom: 1rem; }
.secret { font-family: monospace; font-size: 15px; user-select: all; }
button { padding: .3rem .8rem; } input[type=text], input[type=password] { width: 22rem; max-width: 100%; }
`;
