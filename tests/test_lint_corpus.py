"""lint on 68 real configs of public projects (tests/lint_corpus/, each with its source and
commit), against every finding judged by hand (findings.json, with the reason; behaviour
checked on real nginx where the claim was about it).

- every true finding stays found;
- every false one stays gone (but the two still reported, named below with why);
- a new finding fails until someone judges it and adds it to findings.json;
- precision over what lint reports stays at least what it is now.
"""

from __future__ import annotations

import pytest

from tests.lint_corpus_check import configs, current, judged

# False findings lint still reports: URL schemes only the project knows (the config cannot
# show them). A user declares them with --content-addressed or `# nginxcache: content-addressed`.
KNOWN_FALSE = {
    ("discourse/nginx.sample.conf", "NC101", 154),  # /uploads/.../<sha1>.png: named by digest
    ("flarum/.nginx.conf", "NC101", 32),  # its only CSS/JS are bundles linked with ?v=<revision>
    ("unseen-owncloud/default-configuration.conf", "NC101", 121),  # every CSS/JS URL carries ?v=<version hash>
}


@pytest.fixture(scope="module")
def reported() -> dict[tuple[str, str, int], str]:
    return current()


def test_the_corpus_is_real_configs_with_their_source() -> None:
    files = configs()
    assert len(files) >= 68
    for config in files:
        source = (config.parent / "SOURCE.md").read_text(encoding="utf-8")
        assert "commit" in source.lower() and any(len(word.strip("`")) == 40 for word in source.split()), config


def test_every_true_finding_stays_found(reported: dict[tuple[str, str, int], str]) -> None:
    lost = [key for key, finding in judged().items() if finding.verdict == "true" and key not in reported]
    assert not lost, f"true findings no longer reported: {lost}"


def test_every_false_finding_stays_gone(reported: dict[tuple[str, str, int], str]) -> None:
    back = [key for key, finding in judged().items() if finding.verdict == "false" and key in reported]
    assert set(back) <= KNOWN_FALSE, f"false findings reported again: {sorted(set(back) - KNOWN_FALSE)}"


def test_a_new_finding_waits_for_a_judgement(reported: dict[tuple[str, str, int], str]) -> None:
    verdicts = judged()
    new = {key: message for key, message in reported.items() if key not in verdicts}
    assert not new, "judge these and add them to tests/lint_corpus/findings.json: " + "; ".join(
        f"{key}: {message[:160]}" for key, message in sorted(new.items())
    )


def test_precision_on_the_corpus(reported: dict[tuple[str, str, int], str]) -> None:
    verdicts = judged()
    true = sum(1 for key in reported if verdicts[key].verdict == "true")
    false = sum(1 for key in reported if verdicts[key].verdict == "false")
    assert true >= 71 and true / (true + false) >= 0.95, (true, false)
