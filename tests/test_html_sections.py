"""HTML fields to text and named sections: structure kept, known headings split, no words lost."""

from __future__ import annotations

import re
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from index.parsing.common import DecisionHeading
from index.parsing.html_sections import HtmlSection, html_sections, html_to_text

WORD = re.compile(r"\w+")


def words(text: str) -> Counter[str]:
    return Counter(word.lower() for word in WORD.findall(text))


def names(sections: list[HtmlSection]) -> list[str]:
    return [section.name for section in sections]


def test_headings_that_name_known_sections_split_the_field() -> None:
    html = (
        "<div><h3>Beslutning</h3><span>Godkendt.<br><br>Fraværende: Tina</span></div>"
        "<h3>Fremstilling</h3><span><h2><span>I</span>ndstilling</h2><p>Det indstilles, at</p>"
        "<h4>Sagsbeskrivelse</h4><p>Sagen handler om veje.</p>"
        "<p><strong>Økonomiske konsekvenser</strong></p><p>Ingen.</p></span>"
    )
    sections = html_sections(html)
    assert names(sections) == ["Beslutning", "Indstilling", "Sagsfremstilling", "Økonomi"]
    decision = sections[0]
    assert decision.decision == DecisionHeading(body=None, date=None)
    assert decision.text == "Godkendt.\n\nFraværende: Tina"
    assert sections[1].heading == "Indstilling"  # a heading split across inline elements
    assert sections[2].text == "Sagen handler om veje."
    assert sections[3].heading == "Økonomiske konsekvenser"


def test_unknown_headings_stay_in_the_text_as_lines() -> None:
    html = "<h3>Resume</h3><p>Kort.</p><h4>Tekniske korrektioner</h4><p>Detaljer.</p>"
    (section,) = html_sections(html)
    assert section.name == "Resume"
    assert section.text == "Kort.\n\nTekniske korrektioner\n\nDetaljer."


def test_text_before_any_heading_goes_to_the_first_section() -> None:
    sections = html_sections("<p>Indledning.</p><h3>Bilag</h3><p>Bilag 1</p>", "Baggrund")
    assert [(s.name, s.text) for s in sections] == [
        ("Baggrund", "Indledning."),
        ("Bilag", "Bilag 1"),
    ]


def test_paragraphs_lists_tables_and_entities() -> None:
    html = (
        "<p>F&oslash;rste   afsnit\n med\tmellemrum.</p><p>&nbsp;</p><p>Andet&nbsp;afsnit.</p>"
        "<ol><li>at A godkendes</li><li>at B godkendes</li></ol>"
        "<table><tr><td><p><strong>Post</strong></p></td><td></td><td>Beløb</td></tr>"
        "<tr><td>Biler</td><td></td><td>4.124</td></tr></table>"
        "<p>Linje et<br>linje to</p><script>var x = 1;</script><style>p {}</style>"
    )
    assert html_to_text(html) == (
        "Første afsnit med mellemrum.\n\nAndet afsnit.\n\nat A godkendes\nat B godkendes"
        "\n\nPost | Beløb\nBiler | 4.124\n\nLinje et\nlinje to"
    )


def test_decision_headings_carry_body_and_date() -> None:
    html = (
        "<h3>Beslutning</h3><p>Godkendt.</p>"
        "<p><strong>Beslutning i Økonomiudvalget den 30. oktober 2024</strong></p>"
        "<p>Anbefales.</p>"
    )
    first, earlier = html_sections(html)
    assert first.decision == DecisionHeading(None, None)
    assert earlier.decision == DecisionHeading(body="Økonomiudvalget", date="2024-10-30")
    assert earlier.text == "Anbefales."


def test_an_empty_decision_is_no_decision() -> None:
    html = "<div><h3>Beslutning</h3><span><br></span></div><h3>Resume</h3><p>Tekst.</p>"
    assert names(html_sections(html)) == ["Resume"]
    assert html_sections("<h3>Beslutning</h3><span>.</span>") == []


def test_a_bold_beslutning_inside_running_text_is_a_quote_not_a_decision() -> None:
    html = (
        "<h3>Sagsfremstilling</h3><p>Af protokollen fremgår:</p>"
        "<p><strong>Beslutning:</strong></p><p>Bestyrelsen tiltrådte.</p>"
    )
    (section,) = html_sections(html)
    assert section.name == "Sagsfremstilling"
    assert "Beslutning:\n\nBestyrelsen tiltrådte." in section.text


def test_sentences_in_bold_are_not_decision_headings() -> None:
    html = (
        "<h4>Sagsbeskrivelse</h4><p><strong>På udvalgets møde den 6. januar 2025 (punkt 4) "
        "ønskede udvalget et oplæg om førtidspension.</strong></p><p>Oplægget følger.</p>"
    )
    (section,) = html_sections(html)
    assert section.decision is None
    assert section.text.startswith("På udvalgets møde den 6. januar 2025")


def test_earlier_decisions_quoted_in_sagsforloeb_stay_there() -> None:
    html = (
        "<h3>Beslutning</h3><span>Godkendt.</span><h3>Sagens forløb</h3>"
        "<span><u>24-01-2022 Økonomiudvalget</u><br><p><strong>Beslutning</strong></p>"
        "<p>Anbefales.</p></span>"
    )
    decision, history = html_sections(html)
    assert decision.text == "Godkendt."
    assert history.name == "Sagsforløb"
    assert history.decision is None
    assert history.text == "24-01-2022 Økonomiudvalget\n\nBeslutning\n\nAnbefales."


def test_an_untitled_heading_ends_a_decision() -> None:
    html = "<h3>Beslutninger</h3><span>Udsat.</span><h3></h3><span>Planen skal vedtages.</span>"
    decision, summary = html_sections(html)
    assert (decision.name, decision.text) == ("Beslutning", "Udsat.")
    assert (summary.name, summary.text) == ("Sagsfremstilling", "Planen skal vedtages.")


def test_empty_and_whitespace_fields() -> None:
    assert html_sections("") == []
    assert html_sections("  \n ") == []
    assert html_to_text("<div><p>&nbsp;</p></div>") == ""


# --- property: every word of the field survives, and nothing is invented -------------------

BODY_WORDS = ["kommunen", "vej", "budget", "skole", "2024", "kr", "æblegård", "Østergade"]
HEADINGS = ["Resume", "Indstilling", "Sagsbeskrivelse", "Beslutning", "Bilag", "Ukendt emne"]

body_text = st.lists(st.sampled_from(BODY_WORDS), min_size=1, max_size=6).map(" ".join)
inline = st.one_of(
    body_text,
    body_text.map(lambda t: f"<em>{t}</em>"),
    body_text.map(lambda t: f"<span>{t}</span> {t}"),
    body_text.map(lambda t: f"{t}<br>{t}"),
)
heading = st.sampled_from(HEADINGS).flatmap(
    lambda name: st.sampled_from(
        [f"<h3>{name}</h3>", f"<h2><span>{name}</span></h2>", f"<p><strong>{name}</strong></p>"]
    )
)
block = st.recursive(
    st.one_of(
        inline.map(lambda t: f"<p>{t}</p>"),
        heading,
        st.lists(inline, min_size=1, max_size=3).map(
            lambda items: "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"
        ),
        st.lists(inline, min_size=1, max_size=3).map(
            lambda cells: "<table><tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr></table>"
        ),
    ),
    lambda children: st.lists(children, min_size=1, max_size=4).map(
        lambda parts: "<div>" + "".join(parts) + "</div>"
    ),
    max_leaves=12,
)
field = st.lists(block, min_size=1, max_size=8).map("".join)


@settings(max_examples=300, deadline=None)
@given(field)
def test_no_words_are_lost_or_invented(html: str) -> None:
    sections = html_sections(html)
    kept = words(" ".join(f"{s.heading} {s.text}" for s in sections))
    source = words(html_to_text(html))
    assert kept - source == Counter()  # nothing invented
    lost = source - kept
    # Only the heading of a section left empty (and so dropped) may go missing.
    heading_words = {word for name in HEADINGS for word in words(name)}
    assert set(lost) <= heading_words
    body_vocabulary = {word for text in BODY_WORDS for word in words(text)}
    assert not (set(lost) & body_vocabulary)


@settings(max_examples=200, deadline=None)
@given(field)
def test_text_is_tidy(html: str) -> None:
    for text in [html_to_text(html), *(s.text for s in html_sections(html))]:
        assert text == text.strip()
        assert "\n\n\n" not in text
        assert "  " not in text
        assert all(line == line.strip() for line in text.split("\n"))
