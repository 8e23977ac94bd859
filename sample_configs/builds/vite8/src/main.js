import "./style.css";
import photoUrl from "./photo.svg";

document.querySelector("#app").innerHTML = `<h1>Vite sample</h1><img src="${photoUrl}" alt="" width="64">`;

document.querySelector("#load").addEventListener("click", async () => {
  // dynamic import: becomes its own hashed chunk
  const { drawChart } = await import("./chart.js");
  drawChart(document.querySelector("#app"));
});
