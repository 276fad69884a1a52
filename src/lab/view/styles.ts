// The dashboard's stylesheet, inlined into the page (no external assets).
export const APP_STYLES = `
:root { --fg:#1d2330; --muted:#6b7385; --bg:#f4f5f8; --card:#fff; --line:#dfe2ea; --accent:#3b5bdb;
  --ok:#2b8a3e; --bad:#c92a2a; --warn:#e67700; --bar:#4c6ef5; --gap:rgba(224,49,49,.28); }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--fg); background:var(--bg); }
#app { max-width:1280px; margin:0 auto; padding:0 20px 40px; }
nav.top { display:flex; align-items:center; gap:8px; padding:14px 0; font-size:15px; }
nav.top .brand { font-weight:700; color:var(--accent); text-decoration:none; letter-spacing:.02em; }
nav.top .sep { color:var(--muted); }
nav.top .exported { margin-left:auto; color:var(--muted); font-size:12px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:14px 16px; margin:0 0 16px; }
.card h2 { margin:0 0 10px; font-size:15px; }
.toolbar { display:flex; flex-wrap:wrap; gap:8px; align-items:center; margin-bottom:10px; }
input, select, button { font:inherit; padding:4px 8px; border:1px solid var(--line); border-radius:5px; background:#fff; }
button { cursor:pointer; background:#eef1fb; }
button:disabled { cursor:default; opacity:.5; }
table { border-collapse:collapse; width:100%; }
th, td { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th.sortable { cursor:pointer; user-select:none; }
th.sortable:hover { color:var(--accent); }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
table.metrics { width:auto; min-width:360px; }
table.metrics td.num { font-family:ui-monospace,Menlo,Consolas,monospace; }
td.delta.up { color:var(--ok); } td.delta.down { color:var(--bad); }
.mono, code { font-family:ui-monospace,Menlo,Consolas,monospace; font-size:13px; }
.muted { color:var(--muted); }
.metrics-cell { font-family:ui-monospace,Menlo,Consolas,monospace; font-size:12px; white-space:pre; }
.status { padding:1px 7px; border-radius:10px; font-size:12px; }
.status-completed { background:#d3f9d8; color:var(--ok); } .status-failed { background:#ffe3e3; color:var(--bad); }
.status-running { background:#fff3bf; color:var(--warn); }
.error { background:#fff5f5; color:var(--bad); border:1px solid #ffc9c9; border-radius:6px; padding:8px 10px; margin:8px 0; }
dl.facts { display:grid; grid-template-columns:max-content 1fr; gap:2px 14px; margin:0 0 8px; }
dl.facts dt { color:var(--muted); } dl.facts dd { margin:0; }
pre.config, pre.record { background:#f8f9fb; border:1px solid var(--line); border-radius:6px; padding:8px; overflow:auto; max-height:320px; font-size:12px; }
.chart-row { display:flex; flex-wrap:wrap; gap:16px; }
.chart-row > .card { flex:0 1 auto; }
svg.chart { display:block; max-width:100%; height:auto; }
svg .axes { fill:none; stroke:#aab0c0; }
svg .grid { stroke:#eceef3; }
svg .tick { font-size:11px; fill:var(--muted); }
svg .axis-label { font-size:12px; fill:var(--fg); }
svg .legend { font-size:11px; fill:var(--fg); }
svg .diagonal { stroke:#868e96; stroke-dasharray:4 4; }
svg .bar, svg .legend-bar { fill:var(--bar); opacity:.85; }
svg .gap, svg .legend-gap { fill:var(--gap); stroke:rgba(201,42,42,.6); stroke-width:.5; }
svg .bin-n { font-size:10px; fill:#343a40; }
svg .hbar { fill:#748ffc; }
svg path.series, svg line.series { fill:none; stroke-width:2; }
svg .s0 { stroke:#3b5bdb; fill:#3b5bdb; } svg .s1 { stroke:#e8590c; fill:#e8590c; } svg .s2 { stroke:#2b8a3e; fill:#2b8a3e; }
svg .s3 { stroke:#ae3ec9; fill:#ae3ec9; } svg .s4 { stroke:#1098ad; fill:#1098ad; } svg .s5 { stroke:#f08c00; fill:#f08c00; }
svg path.series { fill:none !important; }
.sample-list { display:flex; flex-direction:column; gap:10px; }
.sample { border:1px solid var(--line); border-radius:6px; padding:10px 12px; background:#fcfcfd; }
.sample header { display:flex; flex-wrap:wrap; gap:12px; align-items:baseline; margin-bottom:6px; }
.sample .idx { font-weight:700; }
.verdict { padding:1px 8px; border-radius:10px; font-size:12px; font-weight:600; }
.verdict-ok { background:#d3f9d8; color:var(--ok); } .verdict-bad { background:#ffe3e3; color:var(--bad); } .verdict-none { background:#e9ecef; color:var(--muted); }
.sample .conf { font-family:ui-monospace,Menlo,Consolas,monospace; }
.question { white-space:pre-wrap; margin:4px 0 8px; padding:6px 8px; background:#f1f3f5; border-radius:5px; }
.completion { white-space:pre-wrap; font-size:13px; line-height:1.5; }
.completion .tag { font-family:ui-monospace,Menlo,Consolas,monospace; font-size:11px; padding:0 3px; border-radius:3px; color:#fff; }
.tag-think { background:#868e96; } .tag-answer { background:#2b8a3e; } .tag-analysis { background:#1971c2; } .tag-confidence { background:#e8590c; }
.seg-think { color:#495057; } .seg-answer { background:#ebfbee; font-weight:600; } .seg-analysis { background:#e7f5ff; }
.seg-confidence { background:#fff4e6; font-weight:600; }
`;
