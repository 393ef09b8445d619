// The drill player: plays a drill on a canvas in the browser, fed part by part by the server.
//
// The server (scenarios/ui/player.py) sends one binary part at a time (the format is described
// in scenarios/ui/player_parts.py).  The player keeps the parts it has, plays by simulated time
// (each animation frame advances the drill by the real time elapsed times the speed, and people
// are placed between the two sample times around it), and asks for the part it will need next
// while the current one plays.  Nothing here waits for the server while a part is at hand.

const MAGIC = "MTP1";
const ABSENT = 0xffff;
const KEEP_PARTS = 6;          // parts kept per level around the one playing
const RETRY_MS = 15000;        // a request not answered by then is sent again
const MAX_STEP_S = 0.25;       // longest real-time step taken at once (a hidden tab resumes calmly)
const SMOKE = { untenable: "rgba(60,60,60,0.55)", smoky: "rgba(120,120,120,0.25)" };

function decode(bytes) {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (String.fromCharCode(u8[0], u8[1], u8[2], u8[3]) !== MAGIC) throw new Error("not a playback part");
  const n = new DataView(u8.buffer, u8.byteOffset, u8.byteLength).getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(u8.subarray(8, 8 + n)));
  const people = header.people;
  const frames = header.times.length;
  let at = 8 + n;
  const mover = u8.slice(at, at + people);
  at += people + (people % 2);
  const xy = new Uint16Array(u8.slice(at, at + frames * people * 4).buffer);
  return { header, mover, xy, people, frames, times: header.times };
}

function minutes(t) {
  return `${(t / 60).toFixed(1)} min after the alarm`;
}

function build(root, player) {
  root.innerHTML = "";
  root.classList.add("medtwin-player");
  const bar = document.createElement("div");
  bar.className = "controls";
  const play = document.createElement("button");
  play.className = "play";
  play.textContent = "Play";
  const scrub = document.createElement("input");
  scrub.type = "range";
  scrub.className = "scrub";
  scrub.min = "0";
  scrub.step = "any";
  scrub.setAttribute("aria-label", "Time after the alarm");
  const clock = document.createElement("span");
  clock.className = "clock";
  const level = document.createElement("select");
  level.className = "level";
  level.setAttribute("aria-label", "Level");
  const speed = document.createElement("select");
  speed.className = "speed";
  speed.setAttribute("aria-label", "Speed");
  const status = document.createElement("span");
  status.className = "status";
  bar.append(play, scrub, clock, level, speed, status);
  const canvas = document.createElement("canvas");
  const legend = document.createElement("div");
  legend.className = "legend";
  const note = document.createElement("div");
  note.className = "note";
  root.append(bar, canvas, legend, note);
  play.onclick = () => {
    if (!player.playing && player.t >= player.meta.duration_s) player.t = player.meta.start_s;
    player.playing = !player.playing;
    play.textContent = player.playing ? "Pause" : "Play";
    player.dirty = true;
  };
  scrub.oninput = () => {
    player.t = Number(scrub.value);
    player.dirty = true;
  };
  level.onchange = () => {
    player.level = level.value;
    player.dirty = true;
  };
  speed.onchange = () => {
    player.speed = Number(speed.value);
  };
  return { play, scrub, clock, level, speed, status, canvas, legend, note };
}

function setMeta(player, meta) {
  const ui = player.ui;
  player.meta = meta;
  player.parts = new Map();
  player.pictures = new Map();
  player.pending = null;
  player.t = meta.start_s;
  player.level = meta.level;
  player.speed = meta.speed;
  player.playing = false;
  ui.play.textContent = "Play";
  ui.scrub.min = String(meta.start_s);
  ui.scrub.max = String(meta.duration_s);
  ui.level.innerHTML = meta.levels.map(([id, label]) => `<option value="${id}">${label}</option>`).join("");
  ui.level.value = meta.level;
  ui.speed.innerHTML = meta.speeds.map((s) => `<option value="${s}">${s}x</option>`).join("");
  ui.speed.value = String(meta.speed);
  ui.legend.innerHTML = meta.movers.map(([name, , colour]) =>
    `<span><i style="background:${colour}"></i>${name}</span>`).join("");
}

function feed(player, bytes) {
  const part = decode(bytes);
  const h = part.header;
  if (!player.meta || player.meta.run !== h.meta.run) setMeta(player, h.meta);
  if (h.picture) {
    const img = new Image();
    img.onload = () => { player.dirty = true; };
    img.src = h.picture;
    player.pictures.set(h.level, { img, bounds: h.bounds, spaces: h.spaces || {} });
  }
  player.parts.set(`${h.level}:${h.part}`, part);
  if (player.pending && player.pending.key === `${h.level}:${h.part}`) player.pending = null;
  player.dirty = true;
}

function partAt(meta, t) {
  const starts = meta.part_starts;
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= t) lo = mid; else hi = mid - 1;
  }
  return lo;
}

function request(player, level, k, now) {
  const key = `${level}:${k}`;
  if (player.parts.has(key)) return false;
  if (player.pending && (player.pending.key === key || now - player.pending.since < RETRY_MS)) return true;
  player.pending = { key, since: now };
  player.seq += 1;
  player.setStateValue("want", { run: player.meta.run, level, part: k,
    picture: !player.pictures.has(level), seq: player.seq });
  return true;
}

function prefetch(player, now) {
  const meta = player.meta;
  const k = partAt(meta, player.t);
  const ahead = player.speed >= 30 ? 2 : 1;
  for (let j = k; j <= Math.min(k + ahead, meta.part_starts.length - 1); j++) {
    if (request(player, player.level, j, now)) return;
  }
  if (!player.pictures.has(player.level)) request(player, player.level, k, now);
}

function evict(player) {
  const k = partAt(player.meta, player.t);
  for (const key of [...player.parts.keys()]) {
    const [level, j] = [key.slice(0, key.lastIndexOf(":")), Number(key.slice(key.lastIndexOf(":") + 1))];
    if (level !== player.level ? player.parts.size > KEEP_PARTS : Math.abs(j - k) > KEEP_PARTS / 2) {
      player.parts.delete(key);
    }
  }
}

function shape(ctx, symbol, x, y, r) {
  if (symbol === "square") {
    ctx.rect(x - r, y - r, 2 * r, 2 * r);
  } else if (symbol === "diamond") {
    ctx.moveTo(x, y - r); ctx.lineTo(x + r, y); ctx.lineTo(x, y + r); ctx.lineTo(x - r, y); ctx.closePath();
  } else {
    ctx.moveTo(x + r, y); ctx.arc(x, y, r, 0, 2 * Math.PI);
  }
}

function draw(player) {
  const { ui, meta } = player;
  const pic = player.pictures.get(player.level);
  const part = player.parts.get(`${player.level}:${partAt(meta, player.t)}`);
  ui.scrub.value = String(player.t);
  ui.clock.textContent = minutes(player.t);
  const waiting = !part || !pic;
  ui.status.textContent = waiting ? "loading this part..." : "";
  player.root.dataset.ready = waiting ? "0" : "1";
  if (!pic) return;
  const [x0, y0, x1, y1] = pic.bounds;
  const width = Math.max(200, player.root.clientWidth || 800);
  const height = Math.round(Math.min(meta.max_height_px, Math.max(meta.min_height_px, width * (y1 - y0) / (x1 - x0))));
  const dpr = window.devicePixelRatio || 1;
  const canvas = ui.canvas;
  if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
  }
  const s = Math.min(width / (x1 - x0), height / (y1 - y0));
  const ox = (width - s * (x1 - x0)) / 2;
  const oy = (height - s * (y1 - y0)) / 2;
  const X = (x) => ox + (x - x0) * s;
  const Y = (y) => oy + (y1 - y) * s;
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = "white";
  ctx.fillRect(0, 0, width, height);
  if (pic.img.complete) ctx.drawImage(pic.img, X(x0), Y(y1), s * (x1 - x0), s * (y1 - y0));
  if (!part) return;
  const h = part.header;
  const times = part.times;
  let f = 0;
  while (f + 1 < times.length && times[f + 1] <= player.t) f++;
  const g = Math.min(f + 1, times.length - 1);
  const a = g > f ? Math.min(1, Math.max(0, (player.t - times[f]) / (times[g] - times[f]))) : 0;
  const drawn = a < 0.5 ? f : g;
  // a joined part's last sample time is the next part's first: counted once, as the next part's
  if (!(h.joined && drawn === times.length - 1)) player.stats.shown.add(`${h.part}:${drawn}`);
  if (h.smoke && h.smoke.length) {
    let e = null;
    for (const ev of h.smoke) if (ev[0] <= player.t) e = ev;
    if (e) {
      for (const [ids, colour] of [[e[2], SMOKE.smoky], [e[1], SMOKE.untenable]]) {
        ctx.fillStyle = colour;
        for (const id of ids) {
          const ring = pic.spaces[id];
          if (!ring) continue;
          ctx.beginPath();
          ctx.moveTo(X(ring[0]), Y(ring[1]));
          for (let i = 2; i < ring.length; i += 2) ctx.lineTo(X(ring[i]), Y(ring[i + 1]));
          ctx.closePath();
          ctx.fill();
        }
      }
    }
  }
  const unit = h.unit_m;
  const [gx, gy] = h.origin;
  const n = part.people;
  const xy = part.xy;
  let here = 0;
  meta.movers.forEach(([, symbol, colour, size], kind) => {
    ctx.beginPath();
    const r = size / 2;
    for (let p = 0; p < n; p++) {
      if (part.mover[p] !== kind) continue;
      const i = (f * n + p) * 2;
      const j = (g * n + p) * 2;
      let qx = xy[i];
      let qy = xy[i + 1];
      if (qx === ABSENT) {
        if (a < 0.5 || xy[j] === ABSENT) continue;
        qx = xy[j]; qy = xy[j + 1];
      } else if (xy[j] !== ABSENT) {
        qx += (xy[j] - qx) * a;
        qy += (xy[j + 1] - qy) * a;
      } else if (a >= 0.5) {
        continue;
      }
      here += 1;
      shape(ctx, symbol, X(gx + qx * unit), Y(gy + qy * unit), r);
    }
    ctx.fillStyle = colour;
    ctx.fill();
    ctx.lineWidth = 0.5;
    ctx.strokeStyle = "white";
    ctx.stroke();
  });
  ui.note.textContent = `${here.toLocaleString("en")} ${here === 1 ? "person" : "people"} on this level of ` +
    `${meta.total.toLocaleString("en")} in the drill`;
  player.stats.people = here;
}

function loop(player, now) {
  const meta = player.meta;
  const dt = player.last === null ? 0 : Math.min(MAX_STEP_S, (now - player.last) / 1000);
  player.last = now;
  player.stats.rafs += 1;
  if (meta) {
    const have = player.parts.has(`${player.level}:${partAt(meta, player.t)}`) && player.pictures.has(player.level);
    if (player.playing) {
      if (have) {
        const before = player.t;
        player.t = Math.min(meta.duration_s, player.t + dt * player.speed);
        player.stats.sim_s += player.t - before;
        player.stats.play_s += dt;
        if (player.t >= meta.duration_s) {
          player.playing = false;
          player.ui.play.textContent = "Play";
        }
      } else {
        player.stats.stall_s += dt;
      }
      player.dirty = true;
    }
    prefetch(player, now);
    if (player.dirty) {
      player.dirty = false;
      evict(player);
      draw(player);
    }
  }
  player.raf = requestAnimationFrame((t) => loop(player, t));
}

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  let player = parentElement.medtwinPlayer;
  if (!player) {
    const root = document.createElement("div");
    parentElement.appendChild(root);
    player = { root, meta: null, parts: new Map(), pictures: new Map(), pending: null, seq: 0, t: 0,
      level: null, speed: 10, playing: false, dirty: true, last: null, raf: null,
      stats: { rafs: 0, sim_s: 0, play_s: 0, stall_s: 0, shown: new Set(), people: 0 } };
    player.ui = build(root, player);
    parentElement.medtwinPlayer = player;
    root.medtwinPlayer = player;
  }
  player.setStateValue = setStateValue;
  if (data) feed(player, data);
  if (player.raf === null) {
    player.last = null;
    player.raf = requestAnimationFrame((t) => loop(player, t));
  }
  return () => {
    cancelAnimationFrame(player.raf);
    player.raf = null;
  };
}
