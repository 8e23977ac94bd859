export function mountWidget(el) {
    el.insertAdjacentHTML('beforeend', '<p class="widget">Widget loaded.</p>');
}
