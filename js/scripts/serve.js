// A static file server for the demo and the browser test: serves the repository (the bundles in
// artifacts/ and this package) with the MIME types browsers need (.wasm as application/wasm).
//   node js/scripts/serve.js [--port 8000] [--root DIR]     (prints the URL it serves on)
import { createReadStream, statSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const root = resolve(option("--root", join(fileURLToPath(import.meta.url), "..", "..", "..")));
const port = Number(option("--port", "8000"));

const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm",
  ".json": "application/json", ".jsonl": "application/x-ndjson", ".onnx": "application/octet-stream", ".css": "text/css",
  ".png": "image/png", ".map": "application/json",
};

const server = createServer((request, response) => {
  const path = decodeURIComponent(new URL(request.url, "http://localhost").pathname);
  let file = normalize(join(root, path));
  if (file !== root && !file.startsWith(root + sep)) return send(response, 403, "outside the served folder");
  try {
    if (statSync(file).isDirectory()) file = join(file, "index.html");
    const size = statSync(file).size;
    response.writeHead(200, { "Content-Type": TYPES[extname(file)] ?? "application/octet-stream", "Content-Length": size, "Cache-Control": "no-store" });
    createReadStream(file).pipe(response);
  } catch {
    send(response, 404, `not found: ${path}`);
  }
});

function send(response, status, text) {
  response.writeHead(status, { "Content-Type": "text/plain; charset=utf-8" });
  response.end(text);
}

server.listen(port, "127.0.0.1", () => console.log(`serving ${root} at http://127.0.0.1:${server.address().port}/`));
