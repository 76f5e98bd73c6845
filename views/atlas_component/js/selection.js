// Selection: a box (shift-drag, or the Box tool) or a lasso, drawn in SVG and sent in grid coordinates.

function drawSelection(st) {
  const { ui } = st;
  const poly = st.selection;
  const vp = st.deck.getViewports()[0];
  if (!poly || poly.length < 3 || !vp || st.d.mode === "3d") {
    ui.selPath.setAttribute("d", "");
    return;
  }
  const pts = poly.map((p) => vp.project(p));
  ui.selPath.setAttribute("d", "M" + pts.map((p) => `${p[0].toFixed(1)},${p[1].toFixed(1)}`).join("L") + "Z");
}

function startDrawing(st, e, tool) {
  const rect = st.root.getBoundingClientRect();
  const at = (ev) => [ev.clientX - rect.left, ev.clientY - rect.top];
  const first = at(e);
  const screen = [first];
  st.dragging = true;
  st.hoverIndex = -1;
  showHover(st, performance.now());
  const preview = () => {
    const pts = tool === "box" && screen.length > 1
      ? [first, [screen[screen.length - 1][0], first[1]], screen[screen.length - 1], [first[0], screen[screen.length - 1][1]]]
      : screen;
    st.ui.selPath.setAttribute("d", "M" + pts.map((p) => `${p[0]},${p[1]}`).join("L") + "Z");
  };
  const move = (ev) => {
    const p = at(ev), last = screen[screen.length - 1];
    if (tool === "box") screen[1] = p;
    else if ((p[0] - last[0]) ** 2 + (p[1] - last[1]) ** 2 > 16) screen.push(p);
    preview();
  };
  const stop = () => {
    window.removeEventListener("pointermove", move, true);
    window.removeEventListener("pointerup", up, true);
    window.removeEventListener("pointercancel", cancel, true);
    st.dragging = false;
  };
  const cancel = () => { stop(); drawSelection(st); }; // a lost pointer (touch cancelled): the old selection stays
  const up = (ev) => {
    stop();
    move(ev);
    const vp = st.deck.getViewports()[0];
    const outline = tool === "box" ? [first, [screen[1][0], first[1]], screen[1], [first[0], screen[1][1]]] : screen;
    const xs = outline.map((p) => p[0]), ys = outline.map((p) => p[1]);
    const tiny = Math.max(...xs) - Math.min(...xs) < 4 || Math.max(...ys) - Math.min(...ys) < 4 || outline.length < 3;
    if (tiny) { drawSelection(st); return; } // a click, not a selection
    st.selection = outline.map((p) => vp.unproject(p).slice(0, 2).map((v) => Math.round(v)));
    drawSelection(st);
    st.send("selected", { polygon: st.selection, points: st.pointsKey });
  };
  window.addEventListener("pointermove", move, true);
  window.addEventListener("pointerup", up, true);
  window.addEventListener("pointercancel", cancel, true);
}
