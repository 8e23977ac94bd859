import './bootstrap';

document.querySelector('#load')?.addEventListener('click', async () => {
    // dynamic import: becomes its own hashed chunk under public/build/assets/
    const { mountWidget } = await import('./widget.js');
    mountWidget(document.body);
});
