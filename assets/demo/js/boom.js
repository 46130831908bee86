// Crossport demo script: records that it ran, then throws on purpose.
// A page that loads it with <script crossorigin> from an allowed origin sees this
// exact message in window.onerror; other pages see only "Script error." (HTML
// "muted errors") or cannot load it at all.
window.crossportDemoScriptRan = true
throw new Error('crossport-demo: thrown on purpose')
