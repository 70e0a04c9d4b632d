from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rag.query import QueryIntent, parse_query

TODAY = date(2025, 3, 15)
BODIES = (
    "Byrådet",
    "Økonomiudvalget",
    "Direktionen",
    "Klima-, Teknik- og Miljøudvalget",
    "Skole-, Børne- og Ungeudvalget",
    "Teknisk Udvalg",
)


def parse(question: str, bodies: tuple[str, ...] = BODIES) -> QueryIntent:
    return parse_query(question, TODAY, bodies)


@pytest.mark.parametrize(
    ("question", "date_from", "date_to"),
    [
        ("Hvilke sager behandlede byrådet i maj 2024?", "2024-05-01", "2024-05-31"),
        ("maj 2024", "2024-05-01", "2024-05-31"),
        ("Hvad skete der i september 2018", "2018-09-01", "2018-09-30"),
        ("møder i februar 2024", "2024-02-01", "2024-02-29"),  # leap year
        ("Hvad besluttede direktionen i 2017?", "2017-01-01", "2017-12-31"),
        ("Hvad skete der den 9. september 2019?", "2019-09-09", "2019-09-09"),
        ("mødet 9/9-2019", "2019-09-09", "2019-09-09"),
        ("mødet 9/9 2019", "2019-09-09", "2019-09-09"),
        ("mødet 9/9-19", "2019-09-09", "2019-09-09"),
        ("referat fra 20-09-2016", "2016-09-20", "2016-09-20"),
        ("mødet 20.09.2016", "2016-09-20", "2016-09-20"),
        ("mødet 2016-09-20", "2016-09-20", "2016-09-20"),
        ("d. 14. marts 2023", "2023-03-14", "2023-03-14"),
        ("Hvad er besluttet om skoler efter 2020?", "2021-01-01", None),
        ("sager før 2019", None, "2018-12-31"),
        ("sager efter maj 2024", "2024-06-01", None),
        ("sager før maj 2024", None, "2024-04-30"),
        ("siden 2021", "2021-01-01", None),
        ("sager fra 2020", "2020-01-01", "2020-12-31"),  # "fra" with no "til": that year
        # With a verb about what is to come, "fra/from" says when something takes effect.
        ("Hvem skal gøre rent på rådhuset fra maj 2025?", None, None),
        ("How much will parents pay for lunch from June 2024?", None, None),
        ("Hvad skal der ske fra juni 2024 til august 2024?", "2024-06-01", "2024-08-31"),
        ("mellem 2018 og 2020", "2018-01-01", "2020-12-31"),
        ("i perioden 2018-2020", "2018-01-01", "2020-12-31"),
        ("fra marts 2019 til juni 2020", "2019-03-01", "2020-06-30"),
        ("Hvad besluttede byrådet sidste år?", "2024-01-01", "2024-12-31"),
        ("møder i år", "2025-01-01", "2025-12-31"),
        ("sidste måned", "2025-02-01", "2025-02-28"),
        ("de sidste 2 år", "2023-03-15", "2025-03-15"),
        ("i april", "2024-04-01", "2024-04-30"),  # the latest April before today
        ("i marts", "2025-03-01", "2025-03-31"),
        # English
        ("What was decided in May 2024?", "2024-05-01", "2024-05-31"),
        ("What happened in 2017?", "2017-01-01", "2017-12-31"),
        ("the meeting on September 9, 2019", "2019-09-09", "2019-09-09"),
        ("the meeting on 9 September 2019", "2019-09-09", "2019-09-09"),
        ("decisions after 2020", "2021-01-01", None),
        ("decisions before May 2020", None, "2020-04-30"),
        ("what did the council decide last year", "2024-01-01", "2024-12-31"),
        ("between 2018 and 2020", "2018-01-01", "2020-12-31"),
        # Not a time filter
        ("Hvad er Platform 2020?", None, None),
        ("Hvilke studieture kan komme på tale i Byrådshøjskolen 2018?", None, None),
        ("Hvad besluttede direktionen om HR-strategien 2019-22?", None, None),
        ("mindreforbruget pr. 31. juli 2019", None, None),  # a figure's date, not a meeting's
        ("gælden ved udgangen af april 2024", None, None),
        ("kassebeholdningen ultimo 2023", None, None),
        ("the debt at the end of April 2024", None, None),
        ("budget 2020", None, None),
        ("udsat til maj 2024", None, None),
        ("budgettet for 2019 og 2020", None, None),
        ("møderne i maj 2024 og juni 2024", "2024-05-01", "2024-06-30"),
        ("sag 17/163", None, None),
        ("afsnit 3.4.12", None, None),
        ("mødet 31/2-2019", None, None),  # no such day
        ("What may the council decide?", None, None),
    ],
)
def test_dates(question: str, date_from: str | None, date_to: str | None) -> None:
    intent = parse(question)
    assert (intent.date_from, intent.date_to) == (date_from, date_to)


@pytest.mark.parametrize(
    ("question", "latest"),
    [
        ("Hvad skete der på sidste møde?", True),
        ("seneste møde i direktionen", True),
        ("det seneste byrådsmøde", True),
        ("What was decided at the last meeting?", True),
        ("the most recent council meeting", True),
        ("Hvad besluttede byrådet sidste år?", False),
        ("møder i maj 2024", False),
    ],
)
def test_latest_meeting(question: str, latest: bool) -> None:
    assert parse(question).latest_meeting is latest


@pytest.mark.parametrize(
    ("question", "case_number"),
    [
        ("sag 17/163", "17/163"),
        ("Hvad blev besluttet i sag 16/5057?", "16/5057"),
        ("status på 23-013546", "23-013546"),
        ("326-2019-6577", "326-2019-6577"),
        ("sagsnr. emn-2025-003383", "EMN-2025-003383"),
        ("EMN-2025-003383.", "EMN-2025-003383"),
        ("journalnummer 00.01.00-A00-1-17", "00.01.00-A00-1-17"),
        ("23/0412", "23/0412"),
        ("mødet 9/9-2019", None),
        ("20-09-2016", None),
        ("460.000 kr.", None),
        ("HR-strategien 2019-22", None),
        ("28,7 mio. kr.", None),
    ],
)
def test_case_number(question: str, case_number: str | None) -> None:
    assert parse(question).case_number == case_number


@pytest.mark.parametrize(
    ("question", "body"),
    [
        ("Hvad besluttede Byrådet?", "Byrådet"),
        ("byrådets beslutning om skoler", "Byrådet"),
        ("hvad mente byraadet", "Byrådet"),
        ("Økonomiudvalget i maj 2024", "Økonomiudvalget"),
        ("økonomiudvalgets møde", "Økonomiudvalget"),
        ("Oekonomiudvalget", "Økonomiudvalget"),
        ("Hvad sagde ØU om budgettet?", "Økonomiudvalget"),
        ("direktionen", "Direktionen"),
        ("klima-, teknik- og miljøudvalget", "Klima-, Teknik- og Miljøudvalget"),
        ("Hvad sagde KTMU?", "Klima-, Teknik- og Miljøudvalget"),
        ("miljøudvalget", "Klima-, Teknik- og Miljøudvalget"),  # distinctive last word
        ("teknisk udvalg", "Teknisk Udvalg"),
        ("What did the city council decide?", "Byrådet"),
        ("the finance committee", "Økonomiudvalget"),
        ("Hvad er Platform 2020?", None),
        ("udvalget", None),  # which one?
        ("øu i småt", None),  # lower-case "øu" is not the acronym
    ],
)
def test_body(question: str, body: str | None) -> None:
    assert parse(question).body == body


def test_body_synonyms_across_municipalities() -> None:
    assert parse("byrådets beslutning", ("Kommunalbestyrelsen",)).body == "Kommunalbestyrelsen"
    assert parse("kommunalbestyrelsen", ("Byråd 2022-2025",)).body == "Byråd 2022-2025"


def test_no_known_bodies() -> None:
    assert parse("byrådet", ()).body is None


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Hvad blev der besluttet om Solgården?", "decision"),
        ("Hvad besluttede direktionen om HR-strategien 2019-22?", "decision"),
        ("Blev lokalplanen vedtaget?", "decision"),
        ("Er budgettet godkendt?", "decision"),
        ("Hvilken model blev valgt til borgerservice?", "decision"),
        ("What was decided about the analysis of the drug abuse area?", "decision"),
        ("Was the plan approved?", "decision"),
        ("Hvor mange gange har byrådet behandlet kunstgræsbaner?", "count"),
        ("Hvor ofte har ØU drøftet budgettet?", "count"),
        ("How many times did the council discuss parking?", "count"),
        ("Hvilke sager behandlede Økonomiudvalget i maj 2024?", "list"),
        ("Hvilke punkter var på dagsordenen?", "list"),
        ("Hvad stod der på dagsordenen til Byrådets møde i maj 2024?", "list"),
        ("Dagsordenen for Økonomiudvalgets sidste møde", "list"),
        ("What was on the agenda at the last council meeting?", "list"),
        # A question that mentions an agenda is not asking for one.
        ("Må et byrådsmedlem på orlov se de lukkede punkter på dagsordenen?", "decision"),
        ("Are council members on leave allowed to see the closed items on the agenda?", "fact"),
        ("Which items did the council discuss in 2017?", "list"),
        ("Hvad går forsøget med 24-timers reglen ud på?", "fact"),
        ("Hvor mange penge afsættes til projektet?", "fact"),
        ("Hvad er Platform 2020?", "fact"),
        ("sag 17/163", "case"),
        ("EMN-2025-003383", "case"),
        ("Hvad blev besluttet i sag 16/5057?", "decision"),
        ("Hvad handler sag 17/163 om?", "fact"),
        # A yes/no question about what the municipality does is answered by its decision.
        ("Skal kommunen selv ansætte tryghedsvagterne?", "decision"),
        ("Fik det nye plejecenter dispensation fra lokalplanen?", "decision"),
        ("Må børn komme på biblioteket alene?", "decision"),
        ("Hvem skal være ny forpagter af caféen?", "fact"),
        ("Har kommunen en plan for klimatilpasning?", "fact"),
        # The outcome of a proposal is its decision; the result of a count is a fact.
        ("Hvad blev resultatet af Enhedslistens forslag om en pantstation?", "decision"),
        ("Hvad kom der ud af Moderaternes initiativ om kystbeskyttelse?", "decision"),
        ("Hvad var resultatet af hjemløsetællingen i 2024?", "fact"),
        ("Arbejder kommunen videre med idéen om en midlertidig bus?", "decision"),
        ("Har Greve Kommune indført en firedagesuge?", "decision"),
        ("Sælger Fjordby Kommune grunden ved havnen?", "decision"),
        ("På hvilke vilkår må Tune IF overtage hallen?", "decision"),
        # An answer to a request is a decision on it.
        ("Sagde kommunen ja tak til en borgers tilbud om en naturskov?", "decision"),
        ("Afviste udvalget ansøgningen om tilskud?", "decision"),
        ("Hvem sagde nej til forslaget i debatten?", "fact"),
        ("Hvor kommunen har sine kontorer, står i referatet?", "fact"),
    ],
)
def test_kind(question: str, kind: str) -> None:
    assert parse(question).kind == kind


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("Hvad blev der besluttet om Solgården?", "da"),
        ("Hvilke sager behandlede byrådet i maj 2024?", "da"),
        ("sag 17/163", "da"),
        ("What was decided about the analysis of the drug abuse area?", "en"),
        ("How many times did the council discuss parking in 2017?", "en"),
        ("Which items were on the agenda at the last meeting?", "en"),
        ("decisions before May 2020", "en"),
    ],
)
def test_language(question: str, language: str) -> None:
    assert parse(question).language == language


@pytest.mark.parametrize(
    ("question", "search_text"),
    [
        ("Hvad blev der besluttet om Solgården?", "besluttet Solgården"),
        (
            "Hvilke sager behandlede Økonomiudvalget i maj 2024?",
            "sager behandlede Økonomiudvalget i maj 2024",
        ),
        ("Hvor mange gange har ØU drøftet kunstgræsbaner?", "ØU drøftet kunstgræsbaner"),
        ("sag 17/163", "sag 17/163"),
        ("What was decided about the drug abuse area?", "besluttet drug misbrug område"),
        ("Hvad var det?", "Hvad var det?"),  # nothing left: the question itself
    ],
)
def test_search_text(question: str, search_text: str) -> None:
    assert parse(question).search_text == search_text


def test_a_full_question() -> None:
    intent = parse("Hvilke sager behandlede økonomiudvalget i maj 2024?")
    assert intent == QueryIntent(
        question="Hvilke sager behandlede økonomiudvalget i maj 2024?",
        search_text="sager behandlede økonomiudvalget i maj 2024",
        language="da",
        kind="list",
        date_from="2024-05-01",
        date_to="2024-05-31",
        latest_meeting=False,
        case_number=None,
        body="Økonomiudvalget",
        bodies_named=1,
    )


def test_intent_is_frozen() -> None:
    intent = parse("sag 17/163")
    with pytest.raises(AttributeError):
        intent.kind = "fact"  # type: ignore[misc]


@given(st.text())
def test_parse_query_never_raises(question: str) -> None:
    intent = parse(question)
    for value in (intent.date_from, intent.date_to):
        assert value is None or date.fromisoformat(value)


def test_an_english_question_is_searched_with_danish_municipal_words() -> None:
    from datetime import date

    from rag.query import parse_query, translate_terms

    assert translate_terms("the new care home") == "the new plejecenter"
    intent = parse_query(
        "What did the City Council decide about the nursing home?", date(2025, 1, 1), []
    )
    assert intent.language == "en"
    assert "byråd" in intent.search_text and "plejehjem" in intent.search_text
    danish = parse_query("Hvad besluttede byrådet om skolen?", date(2025, 1, 1), [])
    assert danish.search_text == "besluttede byrådet skolen"


@pytest.mark.parametrize(
    ("question", "bodies", "named"),
    [
        (
            "Hvem skiftede fra Social- og Handicapudvalget til Klima-, Teknik- og Miljøudvalget?",
            ("Social- og Handicapudvalget", "Klima-, Teknik- og Miljøudvalget"),
            2,
        ),
        # One name that fits two bodies, and a name inside a longer one, are one body.
        ("Hvad har byrådet besluttet om lufthavnen?", ("Byråd 2018-2021", "Byråd 2022-2025"), 1),
        (
            "Hvad besluttede Social- og Sundhedsudvalget?",
            ("Sundhedsudvalget", "Social- og Sundhedsudvalget"),
            1,
        ),
        ("Hvad blev der besluttet om Solgården?", ("Byrådet",), 0),
    ],
)
def test_bodies_named(question: str, bodies: tuple[str, ...], named: int) -> None:
    intent = parse_query(question, date(2024, 6, 1), bodies)
    assert intent.bodies_named == named
