/// The page served at `GET /`: try the model in a browser. Pick or drop an image, ask a question (classify
/// models) or give texts one per line (match models), and see the answers with probability bars and, for
/// cross- and co-attention classifiers, each head's text→image attention (and their mean) drawn over the image.
/// When `/healthz` reports an image index, a search box shows the top images for a text. Plain HTML, CSS and
/// JavaScript in one string: no build step, and nothing is loaded from outside the server.
enum WebPage {
    static let html = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>crossmodal serve</title>
    <style>
      :root { --ink: #1f2328; --muted: #656d76; --line: #d0d7de; --accent: #0969da; --bad: #cf222e; }
      * { box-sizing: border-box; }
      [hidden] { display: none !important; }
      body { margin: 0; background: #f3f4f6; color: var(--ink);
             font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
      header { padding: 18px 28px; background: #fff; border-bottom: 1px solid var(--line); }
      header h1 { margin: 0; font-size: 20px; }
      header p { margin: 2px 0 0; color: var(--muted); font-size: 13px; }
      main { display: grid; grid-template-columns: 1fr 1fr; gap: 20px; max-width: 1100px; margin: 20px auto; padding: 0 20px; }
      .card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 18px; }
      .card h2 { margin: 0 0 12px; font-size: 13px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); }
      .wide { grid-column: 1 / -1; }
      #drop { display: block; border: 2px dashed var(--line); border-radius: 8px; padding: 14px; text-align: center; color: var(--muted); }
      #drop.over { border-color: var(--accent); background: #eef5ff; }
      #drop input { margin-top: 8px; }
      #stage { position: relative; margin: 14px auto 0; width: fit-content; }
      #preview { display: block; border-radius: 4px; }
      #heatmap { position: absolute; left: 0; top: 0; pointer-events: none; border-radius: 4px; }
      label.field { display: block; margin-bottom: 6px; font-weight: 600; }
      input[type=text], textarea, select { width: 100%; padding: 8px 10px; border: 1px solid var(--line); border-radius: 6px; font: inherit; }
      textarea { min-height: 110px; resize: vertical; }
      .row { display: flex; gap: 8px; align-items: center; margin-top: 12px; }
      button { padding: 8px 18px; border: 0; border-radius: 6px; background: var(--accent); color: #fff; font: inherit; font-weight: 600; cursor: pointer; }
      button:disabled { opacity: .55; cursor: progress; }
      #error { margin-top: 12px; padding: 10px 12px; border: 1px solid var(--bad); border-radius: 6px; background: #ffebe9; color: var(--bad); }
      #answers { list-style: none; margin: 14px 0 0; padding: 0; }
      #answers li { margin-bottom: 10px; }
      #answers .label { display: flex; justify-content: space-between; gap: 12px; }
      #answers .value { color: var(--muted); font-variant-numeric: tabular-nums; }
      .bar { height: 8px; margin-top: 3px; border-radius: 4px; background: #eaeef2; overflow: hidden; }
      .bar span { display: block; height: 100%; background: var(--accent); }
      #head-row { margin-top: 16px; }
      #head-row select { width: auto; }
      .legend { display: flex; align-items: center; gap: 6px; margin-left: auto; color: var(--muted); font-size: 13px; }
      .legend i { width: 90px; height: 10px; border-radius: 3px; background: linear-gradient(to right, #440154, #3b528b, #21918c, #5ec962, #fde725); }
      #results { display: grid; grid-template-columns: repeat(auto-fill, minmax(120px, 1fr)); gap: 12px; margin-top: 14px; }
      #results figure { margin: 0; text-align: center; font-size: 13px; color: var(--muted); }
      #results img { width: 100%; aspect-ratio: 1; object-fit: contain; background: #f6f8fa; border-radius: 6px; }
    </style>
    </head>
    <body>
    <header>
      <h1 id="title">crossmodal serve</h1>
      <p id="about">reading /healthz…</p>
    </header>
    <main>
      <section class="card">
        <h2>Image</h2>
        <label id="drop">Drop a PNG or JPEG here, or choose a file<br>
          <input type="file" id="image" accept="image/png,image/jpeg"></label>
        <div id="stage" hidden><img id="preview" alt="the chosen image"><canvas id="heatmap"></canvas></div>
        <div class="row" id="head-row" hidden>
          <label for="head">Attention</label><select id="head"></select>
          <span class="legend">low <i></i> high</span>
        </div>
      </section>
      <section class="card">
        <h2>Ask</h2>
        <div id="classify" hidden>
          <label class="field" for="question">Question</label>
          <input type="text" id="question" placeholder="where is the red square?">
        </div>
        <div id="match" hidden>
          <label class="field" for="texts">Texts, one per line</label>
          <textarea id="texts"></textarea>
        </div>
        <div class="row"><button id="ask">Ask</button></div>
        <div id="error" role="alert" hidden></div>
        <ul id="answers"></ul>
      </section>
      <section class="card wide" id="search-card" hidden>
        <h2>Search the index</h2>
        <div class="row">
          <input type="text" id="search" placeholder="describe the images to find">
          <button id="search-go">Search</button>
        </div>
        <div id="results"></div>
      </section>
    </main>
    <script>
    "use strict";
    const $ = (id) => document.getElementById(id);
    let health = null, imageRead = null, attention = null;

    function showError(message) {
      $("error").textContent = message;
      $("error").hidden = !message;
    }

    // POSTs `body` as JSON (GETs without one); the reply's JSON, or an Error with the server's error.message.
    async function call(path, body) {
      let response;
      try {
        response = await fetch(path, body === undefined ? {} :
          { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      } catch (error) {
        throw new Error(`network error: cannot reach the server for ${path} (${error.message})`);
      }
      const reply = await response.json().catch(() => null);
      if (!response.ok) throw new Error(reply?.error?.message ?? `${path} answered ${response.status} ${response.statusText}`);
      return reply;
    }

    async function start() {
      try {
        health = await call("/healthz");
      } catch (error) {
        $("about").textContent = "";
        return showError(error.message);
      }
      $("title").textContent = health.model;
      $("about").textContent = `${health.task} · ${health.fusion} · ${health.image_encoder} + ${health.text_encoder}`
        + (health.task === "classify" ? ` · ${health.labels} labels` : "");
      $("classify").hidden = health.task !== "classify";
      $("match").hidden = health.task !== "match";
      $("search-card").hidden = !(health.index > 0);
    }

    // Reads the file as a data: URL (what the server takes as the image) and shows it.
    function choose(file) {
      if (!file) return;
      showError("");
      clearAnswers();
      imageRead = new Promise((resolve, reject) => {
        const reader = new FileReader();
        reader.onload = () => resolve(reader.result);
        reader.onerror = () => reject(new Error(`cannot read ${file.name}: ${reader.error}`));
        reader.readAsDataURL(file);
      });
      imageRead.then((url) => { $("preview").src = url; $("stage").hidden = false; }, (error) => showError(error.message));
    }

    // Fits the image into the card (small images scaled up with square pixels) and redraws the heatmap over it.
    function fit() {
      const image = $("preview");
      const scale = Math.min(($("drop").clientWidth) / image.naturalWidth, 360 / image.naturalHeight);
      image.width = Math.round(image.naturalWidth * scale);
      image.height = Math.round(image.naturalHeight * scale);
      image.style.imageRendering = scale > 1 ? "pixelated" : "auto";
      drawHeatmap();
    }

    // Viridis, in five stops: weight 0 (dark blue) to 1 (yellow).
    const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
    function colour(t) {
      const x = Math.min(Math.max(t, 0), 1) * (stops.length - 1), i = Math.min(Math.floor(x), stops.length - 2), f = x - i;
      return stops[i].map((c, k) => Math.round(c + (stops[i + 1][k] - c) * f));
    }

    // One cell per grid region, min–max scaled and semi-transparent, upscaled to the displayed image.
    function drawHeatmap() {
      const canvas = $("heatmap"), image = $("preview");
      canvas.width = image.width;
      canvas.height = image.height;
      if (!attention) return;
      const [rows, cols] = attention.grid;
      const weights = $("head").value === "mean" ? attention.mean : attention.heads[Number($("head").value)];
      const low = Math.min(...weights), span = Math.max(Math.max(...weights) - low, 1e-12);
      const cells = new ImageData(cols, rows);
      weights.forEach((w, i) => {
        const t = (w - low) / span;
        cells.data.set([...colour(t), Math.round(255 * (0.3 + 0.4 * t))], 4 * i);
      });
      const grid = document.createElement("canvas");
      [grid.width, grid.height] = [cols, rows];
      grid.getContext("2d").putImageData(cells, 0, 0);
      const context = canvas.getContext("2d");
      context.imageSmoothingEnabled = false;
      context.drawImage(grid, 0, 0, canvas.width, canvas.height);
    }

    function clearAnswers() {
      $("answers").replaceChildren();
      attention = null;
      $("head-row").hidden = true;
      drawHeatmap();
    }

    // One <li> per answer: the label or text, its probability (or score) and a bar.
    function showAnswers(rows) {
      $("answers").replaceChildren(...rows.map(({ label, probability, score }) => {
        const item = document.createElement("li"), line = document.createElement("div"), name = document.createElement("span");
        const value = document.createElement("span"), bar = document.createElement("div"), fill = document.createElement("span");
        line.className = "label";
        value.className = "value";
        bar.className = "bar";
        name.textContent = label;
        value.textContent = probability === null ? `score ${score.toFixed(3)}`
          : `${(100 * probability).toFixed(1)}%` + (score === undefined ? "" : ` · score ${score.toFixed(3)}`);
        fill.style.width = `${100 * (probability ?? 0)}%`;
        bar.append(fill);
        line.append(name, value);
        item.append(line, bar);
        return item;
      }));
    }

    function showAttention(maps) {
      attention = maps;
      const options = [["mean", "mean of the heads"], ...maps.heads.map((_, h) => [String(h), `head ${h + 1}`])];
      $("head").replaceChildren(...options.map(([value, text]) => new Option(text, value)));
      $("head-row").hidden = false;
      drawHeatmap();
    }

    async function ask() {
      showError("");
      clearAnswers();
      if (!health) return showError("the model is not known yet: /healthz did not answer");
      if (!imageRead) return showError("choose or drop an image first");
      $("ask").disabled = true;
      try {
        const image = await imageRead;
        if (health.task === "match") {
          const texts = $("texts").value.split("\n").map((text) => text.trim()).filter((text) => text);
          const reply = await call("/v1/match", { image, texts });
          showAnswers(reply.matches.map((m) => ({ label: m.text, probability: m.probability, score: m.score })));
        } else {
          const withAttention = ["cross-attention", "co-attention"].includes(health.fusion);
          const reply = await call("/v1/answer", { image, text: $("question").value, attention: withAttention });
          showAnswers(reply.answers);
          if (reply.attention) showAttention(reply.attention);
        }
      } catch (error) {
        showError(error.message);
      } finally {
        $("ask").disabled = false;
      }
    }

    async function search() {
      showError("");
      $("results").replaceChildren();
      $("search-go").disabled = true;
      try {
        const reply = await call("/v1/retrieve", { text: $("search").value, top_k: 12 });
        $("results").replaceChildren(...reply.results.map(({ id, score }) => {
          const figure = document.createElement("figure"), image = new Image(), caption = document.createElement("figcaption");
          image.src = `/v1/images/${encodeURIComponent(id)}`;
          image.alt = id;
          caption.textContent = `${id} · ${score.toFixed(3)}`;
          figure.append(image, caption);
          return figure;
        }));
      } catch (error) {
        showError(error.message);
      } finally {
        $("search-go").disabled = false;
      }
    }

    $("image").addEventListener("change", () => choose($("image").files[0]));
    $("drop").addEventListener("dragover", (event) => { event.preventDefault(); $("drop").classList.add("over"); });
    $("drop").addEventListener("dragleave", () => $("drop").classList.remove("over"));
    $("drop").addEventListener("drop", (event) => {
      event.preventDefault();
      $("drop").classList.remove("over");
      choose(event.dataTransfer.files[0]);
    });
    $("preview").addEventListener("load", fit);
    $("preview").addEventListener("error", () => { $("stage").hidden = true; });
    window.addEventListener("resize", () => { if (!$("stage").hidden) fit(); });
    $("head").addEventListener("change", drawHeatmap);
    $("ask").addEventListener("click", ask);
    $("question").addEventListener("keydown", (event) => { if (event.key === "Enter") ask(); });
    $("search-go").addEventListener("click", search);
    $("search").addEventListener("keydown", (event) => { if (event.key === "Enter") search(); });
    start();
    </script>
    </body>
    </html>
    """#
}
