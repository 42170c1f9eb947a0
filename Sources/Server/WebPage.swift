/// The page at `GET /`: one self-contained HTML file (no external scripts, fonts or styles) to drop
/// or choose a photo and see what the service makes of it: the photo, the input the model saw, the
/// top three classes as bars and, with a catalogue, the most similar items.
enum WebPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>fashion: classify a clothing photo</title>
<style>
  :root { --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --accent: #0969da; --bad: #cf222e; --bg: #f6f8fa; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 16px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #fff; }
  header, main { max-width: 960px; margin: 0 auto; padding: 16px; }
  header h1 { font-size: 1.4rem; margin: 0 0 4px; }
  header p { margin: 0; color: var(--muted); }
  #drop { border: 2px dashed var(--line); border-radius: 12px; padding: 28px 16px; text-align: center; background: var(--bg); cursor: pointer; }
  #drop.over { border-color: var(--accent); background: #ddf4ff; }
  #drop input { display: none; }
  #drop label { color: var(--accent); font-weight: 600; cursor: pointer; text-decoration: underline; }
  #message { margin: 12px 0; min-height: 1.4em; }
  #message.error { color: var(--bad); font-weight: 600; }
  #result { display: none; gap: 16px; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); margin-top: 8px; }
  #result.shown { display: grid; }
  .card { border: 1px solid var(--line); border-radius: 10px; padding: 12px; }
  .card h2 { font-size: 1rem; margin: 0 0 8px; }
  .pictures { display: flex; gap: 12px; align-items: flex-end; flex-wrap: wrap; }
  .pictures figure { margin: 0; text-align: center; font-size: .85rem; color: var(--muted); }
  #photo { max-width: 100%; max-height: 220px; border-radius: 6px; display: block; }
  #input { width: 112px; height: 112px; image-rendering: pixelated; border: 1px solid var(--line); display: block; }
  #label { font-size: 1.3rem; font-weight: 700; margin: 10px 0 6px; }
  .bar { display: grid; grid-template-columns: 7.5em 1fr 3.5em; gap: 8px; align-items: center; margin: 6px 0; font-size: .95rem; }
  .bar .track { background: var(--bg); border-radius: 4px; height: 14px; overflow: hidden; }
  .bar .fill { background: var(--accent); height: 100%; }
  .bar .value { text-align: right; font-variant-numeric: tabular-nums; }
  #similar-card { grid-column: 1 / -1; }
  #similar { display: grid; grid-template-columns: repeat(auto-fill, minmax(110px, 1fr)); gap: 10px; }
  #similar figure { margin: 0; border: 1px solid var(--line); border-radius: 8px; padding: 6px; text-align: center; font-size: .8rem; }
  #similar img { width: 100%; aspect-ratio: 1; object-fit: contain; display: block; background: #fff; }
  #similar .id { color: var(--muted); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  footer { color: var(--muted); font-size: .85rem; }
  @media (max-width: 640px) { #result.shown { grid-template-columns: 1fr; } .bar { grid-template-columns: 6em 1fr 3.2em; } }
</style>
</head>
<body>
<header>
  <h1>Classify a clothing photo</h1>
  <p>Drop a JPEG, PNG or WebP photo; the model names the garment and finds similar catalogue items.</p>
</header>
<main>
  <div id="drop">
    <p>Drop a photo here, or <label for="file">choose a file</label>.</p>
    <input id="file" type="file" accept="image/jpeg,image/png,image/webp">
  </div>
  <div id="message" role="status" aria-live="polite"></div>
  <section id="result" aria-label="result">
    <div class="card">
      <h2>Photo and model input</h2>
      <div class="pictures">
        <figure><img id="photo" alt="the photo sent"><figcaption>photo</figcaption></figure>
        <figure><img id="input" alt="the input the model saw"><figcaption id="input-caption">model input</figcaption></figure>
      </div>
    </div>
    <div class="card">
      <h2>Top classes</h2>
      <div id="label"></div>
      <div id="bars"></div>
      <div id="meta" class="footer"></div>
    </div>
    <div class="card" id="similar-card">
      <h2>Similar items in the catalogue</h2>
      <div id="similar-message"></div>
      <div id="similar"></div>
    </div>
  </section>
  <footer><p>Served by <code>fashion serve</code>. API: <code>POST /v1/classify</code>, <code>POST /v1/similar</code>, KServe v2 under <code>/v2</code>, metrics at <code>/metrics</code>.</p></footer>
</main>
<script>
"use strict";
const types = ["image/jpeg", "image/png", "image/webp"];
const maxBytes = 16 * 1024 * 1024;
const $ = (id) => document.getElementById(id);

function say(text, isError) {
  const m = $("message");
  m.textContent = text;
  m.className = isError ? "error" : "";
}

async function answer(response) {
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  if (!response.ok) {
    const reason = body && body.error ? body.error : response.status + " " + response.statusText;
    throw new Error(reason);
  }
  return body;
}

function bars(topK) {
  const box = $("bars");
  box.replaceChildren();
  for (const c of topK) {
    const row = document.createElement("div");
    row.className = "bar";
    const name = document.createElement("span");
    name.textContent = c.label;
    const track = document.createElement("span");
    track.className = "track";
    const fill = document.createElement("span");
    fill.className = "fill";
    fill.style.display = "block";
    fill.style.width = (100 * c.probability).toFixed(1) + "%";
    track.appendChild(fill);
    const value = document.createElement("span");
    value.className = "value";
    value.textContent = (100 * c.probability).toFixed(1) + "%";
    row.append(name, track, value);
    box.appendChild(row);
  }
}

function similar(found) {
  const grid = $("similar");
  grid.replaceChildren();
  for (const n of found.neighbours) {
    const figure = document.createElement("figure");
    figure.className = "item";
    const img = document.createElement("img");
    img.src = n.image;
    img.alt = n.id;
    img.loading = "lazy";
    const label = document.createElement("div");
    label.className = "item-label";
    label.textContent = (n.label || "-") + " · " + n.score.toFixed(3);
    const id = document.createElement("div");
    id.className = "id";
    id.textContent = n.id.split("/").pop();
    id.title = n.id;
    figure.append(img, label, id);
    grid.appendChild(figure);
  }
  $("similar-message").textContent = found.neighbours.length ? "" : "No item qualifies.";
}

async function send(file) {
  if (!file) return;
  if (!types.includes(file.type)) {
    say("Refused: " + (file.name || "the file") + " is " + (file.type || "of an unknown type") + "; choose a JPEG, PNG or WebP photo.", true);
    return;
  }
  if (file.size > maxBytes) {
    say("Refused: " + file.name + " is " + (file.size / 1048576).toFixed(1) + " MiB; the service takes photos of up to 16 MiB.", true);
    return;
  }
  say("Classifying " + file.name + "…", false);
  $("photo").src = URL.createObjectURL(file);
  try {
    const c = await answer(await fetch("/v1/classify?top=3&input=1", { method: "POST", headers: { "Content-Type": file.type }, body: file }));
    $("input").src = c.input;
    $("input-caption").textContent = "model input (" + c.model + ")";
    $("label").textContent = c.abstained ? "Not sure (" + c.label + "?)" : c.label;
    bars(c.top_k);
    $("meta").textContent = c.elapsed_ms.toFixed(1) + " ms";
    $("result").classList.add("shown");
    say("Done: " + file.name + " looks like " + c.label + " (" + (100 * c.probability).toFixed(1) + "%).", false);
  } catch (e) {
    $("result").classList.remove("shown");
    say("Refused: " + e.message, true);
    return;
  }
  try {
    const found = await answer(await fetch("/v1/similar?k=12", { method: "POST", headers: { "Content-Type": file.type }, body: file }));
    similar(found);
  } catch (e) {
    $("similar").replaceChildren();
    $("similar-message").textContent = e.message;
  }
}

const drop = $("drop");
drop.addEventListener("click", (e) => { if (e.target.tagName !== "LABEL" && e.target.tagName !== "INPUT") $("file").click(); });
$("file").addEventListener("change", (e) => send(e.target.files[0]));
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); send(e.dataTransfer.files[0]); });
</script>
</body>
</html>
"""#
}
