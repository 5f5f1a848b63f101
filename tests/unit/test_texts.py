"""The text catalogue: a count is written with its noun in the right form, in each language."""

from __future__ import annotations

import pytest

from chalicelib.texts import text


@pytest.mark.parametrize(("language", "left", "sentence"), [
    ("nl", 1, "De code is onjuist. U heeft nog 1 poging."),
    ("nl", 4, "De code is onjuist. U heeft nog 4 pogingen."),
    ("nl", 0, "De code is onjuist. U heeft nog 0 pogingen."),
    ("en", 1, "The code is incorrect. You have 1 attempt left."),
    ("en", 3, "The code is incorrect. You have 3 attempts left."),
])
def test_the_attempts_left_are_counted_in_words_that_agree(language, left, sentence):
    assert text("wrong_code", language, attempts_left=left) == sentence
