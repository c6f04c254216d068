// Typeset every formula of the book at build time (python3 tasks.py site runs this once per build).
// stdin: a JSON list of {tex, display}; stdout: a JSON list of {html} or {error}, in that order.
import katex from "katex";

let input = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) input += chunk;
const results = JSON.parse(input).map(({ tex, display }) => {
  try {
    return { html: katex.renderToString(tex, { displayMode: display, throwOnError: true }) };
  } catch (err) {
    return { error: String(err.message || err) };
  }
});
process.stdout.write(JSON.stringify(results));
