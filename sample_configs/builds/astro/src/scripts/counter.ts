// Shared by the Counter component; bundled into a hashed file under _astro/.
export function formatCount(n: number): string {
	const words = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
	return n < words.length ? words[n] : new Intl.NumberFormat('en').format(n);
}

export function attachCounters(root: ParentNode = document): void {
	root.querySelectorAll<HTMLButtonElement>('.counter button').forEach((button) => {
		let n = 0;
		button.addEventListener('click', () => {
			n += 1;
			const span = button.querySelector('span');
			if (span) span.textContent = formatCount(n);
		});
	});
}
