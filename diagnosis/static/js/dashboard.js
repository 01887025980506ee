// Zone dashboard: each figure is fetched on its own and drawn with ECharts (served by the app).
// Every chart element can be clicked through to the firms behind it; the lists under the
// charts give the same links to keyboard and screen-reader users.
(function () {
  "use strict";
  var root = document.getElementById("dashboard");
  if (!root || !window.echarts) return;
  var query = root.dataset.query;
  var L = JSON.parse(root.dataset.labels);
  var BLUE = "#1f6feb", GREY = "#8c959f";
  // Punctuation of the page's language: full-width marks belong to Chinese text only.
  var ZH = (document.documentElement.lang || "").indexOf("zh") === 0;
  var P = ZH ? {colon: "：", open: "（", close: "）", comma: "，"} : {colon: ": ", open: " (", close: ")", comma: ", "};

  function url(part) { return root.dataset.dataUrl.replace("PART", part) + (query ? "?" + query : ""); }
  function firmsUrl(extra) {
    var q = new URLSearchParams(query);
    Object.keys(extra).forEach(function (k) { q.set(k, extra[k]); });
    return root.dataset.firmsUrl + "?" + q.toString();
  }
  function get(part) {
    return fetch(url(part), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); });
  }
  function chart(id) {
    var el = document.getElementById(id);
    var c = echarts.init(el, null, {renderer: "svg"});
    window.addEventListener("resize", function () { c.resize(); });
    return c;
  }
  // True when `n` columns would get less than `min` px each: labels then turn or go.
  function narrow(c, n, min) { return c.getWidth() / Math.max(1, n) < min; }
  function link(list, text, href) {
    var li = document.createElement("li");
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    li.appendChild(a);
    list.appendChild(li);
  }
  function failed(id) {
    var el = document.getElementById(id);
    if (el) { el.textContent = L.error; el.classList.add("error"); }
  }

  get("overview").then(function (d) {
    root.querySelectorAll("[data-field]").forEach(function (el) {
      var v = d[el.dataset.field];
      el.textContent = v === null || v === undefined ? "—" : (el.dataset.field === "participation" ? v + "%" : v);
    });
  }).catch(function () { failed("chart-levels"); });

  get("levels").then(function (d) {
    var c = chart("chart-levels");
    c.setOption({
      tooltip: {trigger: "axis"}, grid: {left: 28, right: 10, top: 20, bottom: 10, containLabel: true},
      // Every level's name, wrapped onto lines of its own rather than every other one dropped.
      xAxis: {type: "category", data: d.levels.map(function (l) { return l.name; }),
              axisLabel: narrow(c, d.levels.length, 90) ? {interval: 0, rotate: 35, fontSize: 11}
                                                        : {interval: 0, width: 90, overflow: "break", fontSize: 11}},
      yAxis: {type: "value", minInterval: 1},
      series: [{type: "bar", data: d.levels.map(function (l) { return l.count; }), itemStyle: {color: BLUE},
                label: {show: true, position: "top", formatter: function (p) { return d.levels[p.dataIndex].share + "%"; }}}]
    });
    c.on("click", function (p) { window.location = firmsUrl({level: d.levels[p.dataIndex].level}); });
    var list = document.getElementById("links-levels");
    d.levels.forEach(function (l) { link(list, l.name + P.colon + l.count + " " + L.firms + P.open + l.share + "%" + P.close, firmsUrl({level: l.level})); });
  }).catch(function () { failed("chart-levels"); });

  get("dimensions").then(function (d) {
    var c = chart("chart-dimensions");
    var dims = d.dimensions;
    c.setOption({
      tooltip: {trigger: "axis"}, legend: {data: [L.zone, L.platform], bottom: 0},
      grid: {left: 10, right: 30, top: 10, bottom: 40, containLabel: true},
      xAxis: {type: "value", max: 100}, yAxis: {type: "category", data: dims.map(function (x) { return x.title; }), inverse: true},
      series: [
        {name: L.zone, type: "bar", data: dims.map(function (x) { return x.mean; }), itemStyle: {color: BLUE}},
        {name: L.platform, type: "bar", data: dims.map(function (x) { return x.platform_mean; }), itemStyle: {color: GREY}}
      ]
    });
    c.on("click", function (p) { window.location = firmsUrl({dimension: dims[p.dataIndex].dimension}); });
    var list = document.getElementById("links-dimensions");
    dims.forEach(function (x) {
      link(list, x.title + P.colon + (x.mean === null ? "—" : x.mean + "%") + P.open + L.platform + " " + (x.platform_mean === null ? "—" : x.platform_mean + "%") + P.close,
           firmsUrl({dimension: x.dimension}));
    });
  }).catch(function () { failed("chart-dimensions"); });

  get("heatmap").then(function (d) {
    var c = chart("chart-heatmap");
    var data = d.cells.map(function (cell) {
      return [d.industries.indexOf(cell.industry), d.dimensions.indexOf(cell.dimension), cell.mean, cell.n];
    });
    c.setOption({
      tooltip: {formatter: function (p) {
        return echarts.format.encodeHTML(d.industry_titles[p.value[0]]) + "<br>" + echarts.format.encodeHTML(d.dimension_titles[p.value[1]]) +
          P.colon + p.value[2] + "%" + P.open + p.value[3] + " " + L.firms + P.close;
      }},
      grid: {left: 10, right: 10, top: 10, bottom: 50, containLabel: true},
      xAxis: {type: "category", data: d.industry_titles, axisLabel: {rotate: 40, interval: 0, width: 90, overflow: "truncate", fontSize: 11}},
      yAxis: {type: "category", data: d.dimension_titles},
      // Scale colours to the values present: zone averages usually sit within a narrow band.
      // Colour by the mean (value index 2), not by the firm count the items also carry (index 3,
      // ECharts' default, which painted each industry's column in one colour); the legend shows the scale.
      visualMap: {dimension: 2, min: Math.floor(Math.min.apply(null, data.map(function (v) { return v[2]; }).concat([100]))),
                  max: Math.ceil(Math.max.apply(null, data.map(function (v) { return v[2]; }).concat([0]))), calculable: false,
                  orient: "horizontal", left: "center", bottom: 0, show: true, itemHeight: 120, itemWidth: 12,
                  text: [L.high || "", L.low || ""], textStyle: {fontSize: 11},
                  inRange: {color: ["#fff8c5", "#9ec5fe", "#0b3d91"]}},
      // Numbers in the cells only where a cell is wide enough to hold one; the tooltip always has it.
      series: [{type: "heatmap", data: data, label: {show: !narrow(c, d.industries.length + 2, 28),
                                                    formatter: function (p) { return Math.round(p.value[2]); }}}]
    });
    c.on("click", function (p) {
      window.location = firmsUrl({industry: d.industries[p.value[0]], dimension: d.dimensions[p.value[1]]});
    });
  }).catch(function () { failed("chart-heatmap"); });

  get("trend").then(function (d) {
    var c = chart("chart-trend");
    var periods = d.periods.map(function (p) { return p.period; });
    var series = d.level_names.map(function (name, lv) {
      return {name: name, type: "bar", stack: "levels", data: d.periods.map(function (p) { return p.levels[lv] || 0; })};
    });
    series.push({name: L.mean, type: "line", yAxisIndex: 1, data: d.periods.map(function (p) { return p.mean_total; }), itemStyle: {color: "#bf3989"}});
    c.setOption({
      tooltip: {trigger: "axis"}, legend: {bottom: 0, type: "scroll"},
      color: ["#d0d7de", "#9ec5fe", "#54aeff", "#1f6feb", "#0b3d91", "#0a2a66"],
      grid: {left: 40, right: 40, top: 20, bottom: 50},
      xAxis: {type: "category", data: periods}, yAxis: [{type: "value", minInterval: 1}, {type: "value"}],
      series: series
    });
    c.on("click", function (p) {
      var q = new URLSearchParams(query);
      q.set("period", periods[p.dataIndex]);
      window.location = root.dataset.dashboardUrl + "?" + q.toString();
    });
    var list = document.getElementById("links-trend");
    d.periods.forEach(function (p) {
      var q = new URLSearchParams(query);
      q.set("period", p.period);
      link(list, p.period + P.colon + p.n + " " + L.firms + P.comma + L.mean + " " + p.mean_total, root.dataset.dashboardUrl + "?" + q.toString());
    });
  }).catch(function () { failed("chart-trend"); });

  function firmList(id, rows, describe) {
    var list = document.getElementById(id);
    if (!rows.length) {
      var li = document.createElement("li");
      li.textContent = L.none;
      list.appendChild(li);
      return;
    }
    rows.forEach(function (r) { link(list, r.name + " · " + describe(r), r.url); });
  }
  get("closest").then(function (d) {
    firmList("list-closest", d.rows, function (r) {
      return r.level_name + P.comma + (r.changes === null ? "" : L.changes.replace("N", r.changes));
    });
  }).catch(function () { failed("list-closest"); });
  get("stalled").then(function (d) {
    firmList("list-stalled", d.rows, function (r) { return L.previous + " " + r.previous_level_name + " → " + r.level_name; });
    document.getElementById("stale-drafts").textContent = L.stalled_drafts + P.colon + d.stale_drafts.total;
  }).catch(function () { failed("list-stalled"); });
})();
