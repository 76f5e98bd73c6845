from core.ingest.cards import card_excerpt


def test_card_excerpt_is_plain_text():
    card = "---\nlicense: mit\n---\n<!-- hidden -->\n<div align='center'><img src='x' onerror='alert(1)'/></div>\n# Title\n\n\n\nBody"
    assert card_excerpt(card) == "# Title\n\nBody"
