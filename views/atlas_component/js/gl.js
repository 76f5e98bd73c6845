// WebGL: the point shaders, the renderer, and drawing every point in one program under deck.gl's camera.

const VERTEX = `#version 300 es
in vec3 a_pos; in vec2 a_frac; in float a_code; in float a_size; in float a_match; in float a_day;
uniform mat4 u_mvp; uniform vec3 u_palette[20]; uniform vec3 u_other; uniform vec4 u_dim;
uniform int u_pass; uniform int u_ncolors; uniform float u_until; uniform float u_sized; uniform float u_alpha;
out vec4 v_color;
void main() {
  bool matched = a_match > 0.5;
  if (a_day > u_until || (u_pass == 1 && matched) || (u_pass == 2 && !matched)) {
    gl_Position = vec4(2.0, 2.0, 2.0, 1.0); gl_PointSize = 0.0; v_color = vec4(0.0); return;
  }
  gl_Position = u_mvp * vec4(a_pos.xy + a_frac * 0.5, a_pos.z, 1.0); // a_frac: -1..1 is -0.5..0.5 of a unit
  gl_PointSize = u_sized > 0.5 ? 2.0 + a_size * 1.2 : 3.0;
  int c = int(a_code + 0.5);
  vec3 rgb = c < u_ncolors ? u_palette[min(c, 19)] : u_other;
  v_color = u_pass == 1 ? u_dim : vec4(rgb / 255.0, u_alpha);
}`;

const FRAGMENT = `#version 300 es
precision mediump float;
in vec4 v_color; out vec4 o;
void main() {
  vec2 d = gl_PointCoord - 0.5;
  if (dot(d, d) > 0.25) discard;
  o = v_color;
}`;

function compile(gl, type, source) {
  const s = gl.createShader(type);
  gl.shaderSource(s, source);
  gl.compileShader(s);
  if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(gl.getShaderInfoLog(s));
  return s;
}

function createRenderer(canvas) {
  const gl = canvas.getContext("webgl2", { antialias: false, alpha: true, premultipliedAlpha: false,
                                            preserveDrawingBuffer: true });
  if (!gl) throw new Error("this browser has no WebGL2");
  const program = gl.createProgram();
  gl.attachShader(program, compile(gl, gl.VERTEX_SHADER, VERTEX));
  gl.attachShader(program, compile(gl, gl.FRAGMENT_SHADER, FRAGMENT));
  gl.linkProgram(program);
  if (!gl.getProgramParameter(program, gl.LINK_STATUS)) throw new Error(gl.getProgramInfoLog(program));
  const attr = {};
  for (const name of ["a_pos", "a_frac", "a_code", "a_size", "a_match", "a_day"]) attr[name] = gl.getAttribLocation(program, name);
  const uni = {};
  for (const name of ["u_mvp", "u_palette", "u_other", "u_dim", "u_pass", "u_ncolors", "u_until", "u_sized", "u_alpha"]) {
    uni[name] = gl.getUniformLocation(program, name);
  }
  return { gl, program, attr, uni, bufs: {} };
}

// Bind a vertex buffer (or a constant when there is none) to an attribute.
function bindAttribute(r, name, data, size, type, constant, normalized = false) {
  const { gl } = r;
  const loc = r.attr[name];
  if (loc < 0) return;
  if (!data) {
    gl.disableVertexAttribArray(loc);
    gl.vertexAttrib4f(loc, constant, 0, 0, 1);
    return;
  }
  if (r.bufs[name] && r.bufs[name].data === data) {
    gl.bindBuffer(gl.ARRAY_BUFFER, r.bufs[name].buf);
  } else {
    if (r.bufs[name]) gl.deleteBuffer(r.bufs[name].buf);
    const buf = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, buf);
    gl.bufferData(gl.ARRAY_BUFFER, data, gl.STATIC_DRAW);
    r.bufs[name] = { buf, data };
  }
  gl.enableVertexAttribArray(loc);
  gl.vertexAttribPointer(loc, size, type, normalized, 0, 0);
}

function drawPoints(st) {
  const { r, d, raw } = st;
  const vp = st.deck && st.deck.getViewports()[0];
  if (!r || !raw || !vp) return false;
  const { gl } = r;
  const canvas = gl.canvas;
  // A frame is drawn only when what it shows changed: a rerun that changes only the page (a panel, a selection)
  // keeps the last frame, which at 1.86M points with software WebGL costs ~0.6 s to draw again.
  const sig = [st.pointsKey, st.maskId, d.until_day, d.hide_unmatched, vp.width, vp.height, ...vp.viewProjectionMatrix].join("|");
  if (sig === st.drawnSig && canvas.width === vp.width && canvas.height === vp.height) return true;
  st.drawnSig = sig;
  if (canvas.width !== vp.width || canvas.height !== vp.height) {
    canvas.width = vp.width;
    canvas.height = vp.height;
  }
  gl.viewport(0, 0, canvas.width, canvas.height);
  gl.clearColor(0, 0, 0, 0);
  gl.clear(gl.COLOR_BUFFER_BIT);
  gl.useProgram(r.program);
  bindAttribute(r, "a_pos", raw.pos, d.mode === "3d" ? 3 : 2, gl.UNSIGNED_SHORT, 0);
  bindAttribute(r, "a_frac", d.mode === "3d" ? null : raw.frac, 2, gl.BYTE, 0, true);
  bindAttribute(r, "a_code", raw.codes, 1, gl.UNSIGNED_BYTE, 0);
  bindAttribute(r, "a_size", raw.sizes, 1, gl.UNSIGNED_BYTE, 0);
  bindAttribute(r, "a_match", st.match, 1, gl.UNSIGNED_BYTE, 1);
  bindAttribute(r, "a_day", raw.times, 1, gl.UNSIGNED_SHORT, 0);
  gl.uniformMatrix4fv(r.uni.u_mvp, false, new Float32Array(vp.viewProjectionMatrix));
  const pal = new Float32Array(60);
  d.palette.slice(0, 20).forEach((rgb, i) => pal.set(rgb, i * 3));
  gl.uniform3fv(r.uni.u_palette, pal);
  gl.uniform3fv(r.uni.u_other, d.other_color);
  gl.uniform1i(r.uni.u_ncolors, Math.min(d.n_colors, 20));
  gl.uniform4f(r.uni.u_dim, d.dim_color[0] / 255, d.dim_color[1] / 255, d.dim_color[2] / 255, d.dim_alpha / 255);
  gl.uniform1f(r.uni.u_until, raw.times && d.until_day !== null && d.until_day !== undefined ? d.until_day : 1e9);
  gl.uniform1f(r.uni.u_sized, raw.sizes ? 1 : 0);
  gl.uniform1f(r.uni.u_alpha, 0.82);
  gl.enable(gl.BLEND);
  gl.blendFuncSeparate(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA, gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
  const passes = st.match ? (d.hide_unmatched ? [2] : [1, 2]) : [0];
  for (const pass of passes) {
    gl.uniform1i(r.uni.u_pass, pass);
    if (pass === 2 && st.matchIndex) {
      // Only the matches' vertices: a second pass over every point would double a filter's frame at 1.86M points.
      if (!r.elements || r.elements.data !== st.matchIndex) {
        if (r.elements) gl.deleteBuffer(r.elements.buf);
        const buf = gl.createBuffer();
        gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, buf);
        gl.bufferData(gl.ELEMENT_ARRAY_BUFFER, st.matchIndex, gl.STATIC_DRAW);
        r.elements = { buf, data: st.matchIndex };
      }
      gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, r.elements.buf);
      gl.drawElements(gl.POINTS, st.matchIndex.length, gl.UNSIGNED_INT, 0);
    } else {
      gl.drawArrays(gl.POINTS, 0, d.n);
    }
  }
  return true;
}
