function n(t){const e=document.createElement("p");e.textContent="Loaded lazily at "+new Date().toISOString(),t.appendChild(e)}export{n as render};
