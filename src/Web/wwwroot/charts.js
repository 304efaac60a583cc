// Draws every element that carries data-echarts-option (an ECharts option as JSON) and redraws it when the attribute
// changes, so Blazor components render charts by writing markup alone, without JS interop. A drawn element gets
// data-chart-ready="true" (the browser tests wait for it). Formatters cannot travel in JSON, so a few named ones are
// offered through data-echarts-formatter.
(() => {
  // A formatter's result is HTML: names come from admins and feedback clients (model, variant names), so escape them.
  const escapeHtml = t => String(t ?? "").replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  const formatters = {
    // "12.3 [10.1, 14.5]" for bars with a CI: the value and the whisker ends in the series' data items.
    ci: p => {
      const d = p.data || {};
      const ci = d.ci ? ` [${d.ci[0].toFixed(1)}, ${d.ci[1].toFixed(1)}]` : "";
      return `${escapeHtml(p.name)}<br/>${escapeHtml(p.seriesName)}: ${Number(p.value).toFixed(1)}${ci}`;
    },
  };

  // ECharts has no built-in error bar: a custom series draws each whisker from data [x index, low, high, offset], where
  // the optional offset (a fraction of the category's width) puts the whisker on one bar of a group.
  function whiskers(params, api) {
    const x = api.value(0), width = api.size([1, 0])[0], shift = (api.value(3) || 0) * width;
    const low = api.coord([x, api.value(1)]), high = api.coord([x, api.value(2)]);
    low[0] += shift;
    high[0] += shift;
    const half = width * 0.04;
    const style = { stroke: "#1d232a", lineWidth: 1.2 };
    return {
      type: "group",
      children: [
        { type: "line", shape: { x1: low[0], y1: low[1], x2: high[0], y2: high[1] }, style },
        { type: "line", shape: { x1: low[0] - half, y1: low[1], x2: low[0] + half, y2: low[1] }, style },
        { type: "line", shape: { x1: high[0] - half, y1: high[1], x2: high[0] + half, y2: high[1] }, style },
      ],
    };
  }

  function prepare(option, el) {
    for (const s of [].concat(option.series || [])) {
      if (s.type === "custom" && s.renderItem === "whiskers") s.renderItem = whiskers;
    }
    const named = el.getAttribute("data-echarts-formatter");
    if (named && formatters[named]) option.tooltip = Object.assign({}, option.tooltip, { formatter: formatters[named] });
    return option;
  }

  function draw(el) {
    if (!window.echarts) return;
    const json = el.getAttribute("data-echarts-option");
    // Blazor's DOM patching (enhanced navigation, interactive renders) can empty a drawn element: draw it again then.
    if (!json || (el.__evalsOption === json && el.querySelector("canvas"))) return;
    let option;
    try {
      option = prepare(JSON.parse(json), el);
    } catch (e) {
      el.setAttribute("data-chart-error", String(e));
      return;
    }
    let chart = echarts.getInstanceByDom(el);
    if (chart && !el.querySelector("canvas")) {
      chart.dispose();
      chart = null;
    }
    chart = chart || echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(option, true);
    el.__evalsOption = json;
    el.setAttribute("data-chart-ready", "true");
  }

  function drawAll(root) {
    if (root.nodeType !== 1) return;
    if (root.hasAttribute("data-echarts-option")) draw(root);
    root.querySelectorAll("[data-echarts-option]").forEach(draw);
  }

  // Pages arrive in several ways (full load, Blazor enhanced navigation, interactive renders) that add, patch or move
  // nodes; rather than follow each, look over the whole page once per frame in which anything changed.
  let pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      drawAll(document.body);
    });
  }

  function start() {
    drawAll(document.body);
    new MutationObserver(schedule).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-echarts-option"] });
    if (window.Blazor && Blazor.addEventListener) Blazor.addEventListener("enhancedload", schedule);
    window.addEventListener("resize", () => document.querySelectorAll("[data-chart-ready]").forEach(el => echarts.getInstanceByDom(el)?.resize()));
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
