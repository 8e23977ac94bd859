import "./chart.css";

export function drawChart(el) {
  const bars = [3, 1, 4, 1, 5, 9, 2, 6];
  el.insertAdjacentHTML(
    "beforeend",
    `<div class="chart">${bars.map((b) => `<span style="height:${b * 10}px"></span>`).join("")}</div>`,
  );
}
