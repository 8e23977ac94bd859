function e(a){const n=[3,1,4,1,5,9,2,6];a.insertAdjacentHTML("beforeend",`<div class="chart">${n.map(t=>`<span style="height:${t*10}px"></span>`).join("")}</div>`)}export{e as drawChart};
