"""Which sentences a fact answer quotes (rag.answer.best_sentences and answer_type_factor)."""

from __future__ import annotations

from rag.answer import answer_type_factor, best_sentences


def test_money_question_prefers_an_amount_to_a_bare_number() -> None:
    text = (
        "Byrådet vedtog 25-01-2011 en ny skole i Hedehusene. "
        "Der afsættes 150 mio. kr. i 2018 til første etape af skolen."
    )
    best = best_sentences("Hvor mange penge er der afsat til en ny skole i Hedehusene?", [text], 1)
    assert best == ["Der afsættes 150 mio. kr. i 2018 til første etape af skolen."]
    q = "Hvor mange penge er der afsat?"
    assert answer_type_factor(q, "Der afsættes 150 mio. kr.") > answer_type_factor(q, "I 2018.")


def test_how_long_asks_for_a_duration() -> None:
    q = "Hvor længe ventede borgerne i telefonen?"
    assert answer_type_factor(q, "August 8655 1,33 minut 28,13%") == 1.5
    assert answer_type_factor(q, "Borgerne ventede i telefonen.") == 0.25


def test_how_many_prefers_the_number_beside_the_counted_thing() -> None:
    q = "Hvor mange høringssvar kom der til trafikplanen?"
    assert answer_type_factor(q, "Der er modtaget 142 høringssvar.") > answer_type_factor(
        q, "En hastighedsgrænse på 40 km/t i midtbyen."
    )


def test_a_season_or_holiday_answers_when() -> None:
    q = "Hvornår skal chefforum drøfte listen?"
    assert answer_type_factor(q, "Den fremlægges i chefforum efter sommerferien.") == 1.5


def test_a_list_item_is_read_with_its_heading() -> None:
    text = (
        "Model 1 (den større):\n\n- Nyt venteområde.\n- Udgift 271.836 kr.\n\n"
        "Model 2 (den mindre):\n\n- Nuværende venteområde bibeholdes.\n- Udgift: 146.551 kr."
    )
    best = best_sentences("Hvad koster den mindre model?", [text], 1)
    assert best == ["- Udgift: 146.551 kr."]


def test_a_heading_reaches_only_its_list_and_first_paragraph() -> None:
    # The first paragraph after a heading is read with it; a later one is not.
    text = "Model 2 (den mindre):\nFørste afsnit.\nAndet afsnit om 146.551 kr."
    best = best_sentences("Hvad koster den mindre model?", [text], 1)
    assert best == ["Andet afsnit om 146.551 kr."]


def test_an_english_question_counts_by_its_glossary_words() -> None:
    from rag.query import translate_terms

    q = translate_terms("How many days were the roads salted in the winter?")
    assert answer_type_factor(q, "Vejene er saltet på 41 dage.") > answer_type_factor(
        q, "Vinteren 2024/25 har haft mange dage med glatføre."
    )


def test_a_closed_items_names_count_as_its_topic() -> None:
    from datetime import date

    from index.catalog import ItemRecord
    from index.models import AgendaItem
    from rag.answer import AnswerConfig, evidence_ok
    from rag.query import parse_query
    from rag.retriever import ItemHit

    def hit(closed: bool) -> ItemHit:
        item = AgendaItem(9, "Salg af ejendommen Kirkevej 22", closed=closed)
        record = ItemRecord("i", "m", "s.txt", "Byrådet", "2023-10-10", None, item)
        return ItemHit(record, 1.0, (), 0.87, 1.0, coverage=0.41, topic_coverage=0.0)

    intent = parse_query("Hvem købte Kirkevej 22?", date(2026, 1, 1), ())
    assert evidence_ok(hit(closed=True), intent, AnswerConfig())
    assert not evidence_ok(hit(closed=False), intent, AnswerConfig())


def test_how_big_prefers_the_number_of_the_thing_asked_about() -> None:
    q = "Hvor stort et tillæg skal der til reparationen af kystsikringen?"
    assert answer_type_factor(q, "at der gives et tillæg på 1,916 mio. kr. i 2024") == 1.8
    assert answer_type_factor(q, "Der blev afsat 1,09 mio. kr. til reparation.") == 1.5


def test_a_very_short_sentence_is_quoted_with_the_one_before_it() -> None:
    text = (
        "Rådgiverens to scenarier er:\n"
        "Scenarie 1. Midlertidig afdækning af tagene, så nedbrydningen stopper.  "
        "Omkostning ca. 320.000 kr.\n"
        "Scenarie 2. Udskiftning af tagbelægningen på begge ejendomme. Omkostning ca. 925.000 kr."
    )
    best = best_sentences("Hvad koster en midlertidig afdækning af tagene?", [text], 1)
    # Verbatim, with the line's own spacing, and the amount beside what it is the price of.
    assert best == [
        "Midlertidig afdækning af tagene, så nedbrydningen stopper.  Omkostning ca. 320.000 kr."
    ]


def test_how_often_asks_for_a_frequency() -> None:
    text = (
        "Affaldsplanen har mål for genanvendelse af skraldespandenes indhold. "
        "Det indstilles, at dagrenovation fremover indsamles hver 14. dag som standard."
    )
    best = best_sentences("Hvor tit skal skraldespandene tømmes?", [text], 1)
    assert best == [
        "Det indstilles, at dagrenovation fremover indsamles hver 14. dag som standard."
    ]
    q = "Hvor ofte tømmes containerne?"
    assert answer_type_factor(q, "Containerne tømmes to gange om ugen.") > 1
    assert answer_type_factor(q, "Containerne står ved hallen.") < 1
