"""eDoc agenda publishing XML and SBSYS publication XML.

Inline fixtures run everywhere; the real documents in ../shared/corpus are spot-checked against
values read by hand from the files.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from index.models import AgendaItem, Decision, Meeting
from index.parsing import ParseError, edoc_xml, parse_document, sbsys_xml

CORPUS = Path(__file__).parents[1].parent / "shared" / "corpus"
BALLERUP_EDOC = CORPUS / "ballerup" / "ballerup_2012-12-04_eDocAgendaPublishing.xml"
SBSYS_AGENDA = CORPUS / "sbsys" / "Publication32.xml"
SBSYS_REGION = CORPUS / "sbsys" / "Publication553.xml"


def item(meeting: Meeting, number: int) -> AgendaItem:
    (found,) = [entry for entry in meeting.items if entry.number == number]
    return found


def sections(entry: AgendaItem) -> dict[str, str]:
    return {section.name: section.text for section in entry.sections}


def serialised(meeting: Meeting) -> str:
    return json.dumps(asdict(meeting), ensure_ascii=False)


def real(path: Path) -> Meeting:
    if not path.is_file():
        pytest.skip(f"{path.name} is not present in ../shared/corpus")
    return parse_document(path.read_bytes(), str(path))


# --- eDoc --------------------------------------------------------------------------------

EDOC = """<?xml version="1.0"?>
<Meeting>
  <Committee>Teknik- og Miljøudvalget</Committee>
  <MeetingDate>05-03-2013 16:00:00</MeetingDate>
  <MeetingAgendaTypes>
    <MeetingAgendaType>
      <AgendaType>Åben dagsorden</AgendaType>
      <MeetingAgendaItems>
        <MeetingAgendaItem>
          <AgendaItemNumber>1</AgendaItemNumber>
          <Document><Title>Ny vej til havnen</Title></Document>
          <FullText>


1.\tNy vej til havnen

Sagsnr.: 2013-1234
Dok.nr.: 2013-5678
Teknik- og Miljøudvalget den 5. februar 2013 Punkt 4

Sammendrag
Vejen koster 3 mio. kr.

Sagsfremstilling
Vejen er 800 m lang.
Den går langs kajen.

Bilag
2013-9999 - Kort over vejen

Beslutningen træffes af
Kommunalbestyrelsen

Indstilling
Center for Miljø indstiller, at

A)
Vejen anlægges.

Teknik- og Miljøudvalgets beslutning den 05.03.2013 Punkt 1
Anbefales godkendt

Følgende deltog ikke i behandlingen af punktet:

</FullText>
        </MeetingAgendaItem>
      </MeetingAgendaItems>
      <FullText>Teknik- og Miljøudvalget&#xC;Referat

tirsdag den 5. marts 2013, kl. 16:00
i Mødelokale 2 på Egedal Rådhus

Tilstede
Anne Berg (A) - formand
Bo Holm (V)

Afbud/Fraværende
Carl Dam (F)

Sekretær
Dorte Lund
&#xC;</FullText>
    </MeetingAgendaType>
    <MeetingAgendaType>
      <AgendaType>Lukket dagsorden</AgendaType>
      <MeetingAgendaItems>
        <MeetingAgendaItem>
          <AgendaItemNumber>2</AgendaItemNumber>
          <Document><Title>Ekspropriation</Title></Document>
          <FullText>2.\tEkspropriation

Sagsnr.: 2013-4321

Sagsfremstilling
Grundejer Jensen modtager 400.000 kr.
</FullText>
        </MeetingAgendaItem>
      </MeetingAgendaItems>
    </MeetingAgendaType>
  </MeetingAgendaTypes>
</Meeting>
"""


def test_inline_edoc_meeting_details_despite_invalid_character_references() -> None:
    meeting = edoc_xml.parse(EDOC.encode(), "edoc.xml")
    assert (meeting.body, meeting.meeting_date, meeting.start_time) == (
        "Teknik- og Miljøudvalget",
        "2013-03-05",
        "16:00",
    )
    assert meeting.location == "Mødelokale 2 på Egedal Rådhus"
    assert meeting.municipality == "Egedal"
    assert meeting.participants == (
        "Anne Berg (A) - formand",
        "Bo Holm (V)",
        "Carl Dam (F) (fraværende)",
    )


def test_inline_edoc_item_text_is_split_at_its_headings() -> None:
    road = item(edoc_xml.parse(EDOC.encode(), "edoc.xml"), 1)
    assert (road.title, road.case_number, road.closed) == ("Ny vej til havnen", "2013-1234", False)
    assert sections(road) == {
        "Sagsforløb": "Dok.nr.: 2013-5678\nTeknik- og Miljøudvalget den 5. februar 2013 Punkt 4",
        "Resume": "Vejen koster 3 mio. kr.",
        "Sagsfremstilling": "Vejen er 800 m lang.\nDen går langs kajen.",
        "Bilag": "2013-9999 - Kort over vejen",
        "Sagsprocedure": "Kommunalbestyrelsen",
        "Indstilling": "Center for Miljø indstiller, at\n\nA)\nVejen anlægges.",
    }
    assert road.decisions == (
        Decision(
            text="Anbefales godkendt\n\nFølgende deltog ikke i behandlingen af punktet:",
            body="Teknik- og Miljøudvalget",
            date="2013-03-05",
        ),
    )


def test_inline_edoc_closed_agenda_items_keep_number_and_title_only() -> None:
    meeting = edoc_xml.parse(EDOC.encode(), "edoc.xml")
    assert item(meeting, 2) == AgendaItem(
        number=2, title="Ekspropriation", case_number="2013-4321", closed=True
    )
    assert "Jensen" not in serialised(meeting)


def test_xml_that_is_neither_format_is_refused_clearly() -> None:
    with pytest.raises(ParseError, match="neither an SBSYS publication nor an eDoc agenda"):
        parse_document(b"<?xml version='1.0'?><root><a>1</a></root>", "other.xml")
    with pytest.raises(ParseError, match="damaged"):
        edoc_xml.parse(b"<Meeting><Committee>x</Meeting", "broken.xml")


def test_read_xml_repairs_references_xml_forbids() -> None:
    root, damage = edoc_xml.read_xml(b"<a>one&#xC;two&#1;three&#x41;</a>", "test")
    assert root.text == "one\ntwo threeA"
    assert damage is None


# --- SBSYS -------------------------------------------------------------------------------


def field(caption: str, content: str, *, feedback: bool = False, index: int = 1) -> str:
    return (
        f"<ItemField><Caption><![CDATA[{caption}]]></Caption><Index>{index}</Index>"
        f"<IsFeedback><![CDATA[{feedback}]]></IsFeedback>"
        f"<Content><![CDATA[{content}]]></Content></ItemField>"
    )


SBSYS = (
    "\ufeff<?xml version='1.0' encoding='utf-8'?><Publication><Agendas><Agenda>"
    "<Meeting><When><![CDATA[25-09-2012 15:30:00]]></When><Where><![CDATA[H2]]></Where>"
    "<Members><MeetingMember><Name><![CDATA[Hans Toft]]></Name>"
    "<ParticipationStatusAsText><![CDATA[NotDecided]]></ParticipationStatusAsText>"
    "</MeetingMember><MeetingMember><Name><![CDATA[Kirsten Lee]]></Name>"
    "<ParticipationStatusAsText><![CDATA[Absent]]></ParticipationStatusAsText>"
    "</MeetingMember></Members></Meeting>"
    "<Name><![CDATA[FORRETNINGSUDVALGET]]></Name>"
    "<Committee><Name><![CDATA[FORRETNINGSUDVALGET]]></Name></Committee><Items>"
    "<Item><Number>2</Number><Caption><![CDATA[Hospitalsudstyr]]></Caption>"
    "<Case><Number /><NumberAndTitle> - </NumberAndTitle></Case>"
    "<IsPublic><![CDATA[True]]></IsPublic><Fields>"
    + field("ADMINISTRATIONENS INDSTILLING", "<p><strong>at </strong>beløbet anvendes.</p>")
    + field(
        "SAGSFREMSTILLING",
        "<p>&nbsp;</p><p><strong>Baggrund</strong></p><p>Udstyret er slidt.</p>"
        "<p><strong>Beslutning:</strong></p><p>Movias bestyrelse tiltrådte.</p>",
        index=2,
    )
    + field(
        "FORRETNINGSUDVALGETS BESLUTNING",
        "<p>&nbsp;</p><p><strong>18. september 2012:</strong> Sagen udsat.</p>"
        "<p>Julie (F) deltog ikke.</p><p><strong>25. september 2012:</strong></p>",
        feedback=True,
        index=3,
    )
    + field("REGIONSRÅDETS BESLUTNING", "<p>Tomt indhold</p>", feedback=True, index=4)
    + field("Beslutning", "", feedback=True, index=5)
    + "</Fields></Item>"
    "<Item><Number>1</Number><Caption><![CDATA[Styrelsesvedtægt]]></Caption>"
    "<IsPublic><![CDATA[True]]></IsPublic><Fields>"
    + field("Beslutning", "<p>Godkendt.</p>", feedback=True)
    + "</Fields></Item>"
    "<Item><Number>3</Number><Caption><![CDATA[Personalesag]]></Caption>"
    "<IsPublic><![CDATA[False]]></IsPublic><Fields>"
    + field("SAGSFREMSTILLING", "<p>Direktør Nielsen fratræder.</p>")
    + "</Fields></Item></Items></Agenda></Agendas></Publication>"
)


def test_inline_sbsys_meeting_details() -> None:
    meeting = parse_document(SBSYS.encode("utf-8"), "Publication1.xml")
    assert (meeting.body, meeting.meeting_date, meeting.start_time, meeting.location) == (
        "Forretningsudvalget",
        "2012-09-25",
        "15:30",
        "H2",
    )
    assert meeting.municipality is None
    assert meeting.participants == ("Hans Toft", "Kirsten Lee (fraværende)")
    assert [(entry.number, entry.closed) for entry in meeting.items] == [
        (1, False),
        (2, False),
        (3, True),
    ]


def test_inline_sbsys_fields_sections_and_dated_decisions() -> None:
    meeting = sbsys_xml.parse(SBSYS.encode("utf-8"), "Publication1.xml")
    equipment = item(meeting, 2)
    assert sections(equipment) == {
        "Indstilling": "at beløbet anvendes.",
        # A bold "Beslutning:" quoting someone else's protocol stays in the text.
        "Baggrund": "Udstyret er slidt.\n\nBeslutning:\n\nMovias bestyrelse tiltrådte.",
    }
    # The entry dated 25 September is empty, "Tomt indhold" and an empty field are no decisions.
    assert equipment.decisions == (
        Decision(
            text="Sagen udsat.\n\nJulie (F) deltog ikke.",
            body="Forretningsudvalget",
            date="2012-09-18",
        ),
    )
    assert item(meeting, 1).decisions == (
        Decision(text="Godkendt.", body="Forretningsudvalget", date="2012-09-25"),
    )


def test_inline_sbsys_closed_item() -> None:
    meeting = sbsys_xml.parse(SBSYS.encode("utf-8"), "Publication1.xml")
    assert item(meeting, 3) == AgendaItem(number=3, title="Personalesag", closed=True)
    assert "Nielsen" not in serialised(meeting)


def test_sbsys_without_agenda_is_refused() -> None:
    with pytest.raises(ParseError, match="SBSYS publication XML without an agenda"):
        parse_document(b"<Publication><Agendas /></Publication>", "Publication9.xml")


# --- real documents ------------------------------------------------------------------------


def test_ballerup_edoc_publication() -> None:
    meeting = real(BALLERUP_EDOC)
    assert (meeting.body, meeting.meeting_date, meeting.start_time) == (
        "Sundheds- og Forebyggelsesudvalget",
        "2012-12-04",
        "13:00",
    )
    assert meeting.location == "Mødecenter C, Lokale 32 på Ballerup Rådhus"
    assert meeting.municipality == "Ballerup"
    assert meeting.participants[0] == "Lolan Ottesen (A) - formand"
    assert len(meeting.participants) == 7
    assert [(e.number, e.title, e.case_number) for e in meeting.items] == [
        (1, "Meddelelser", "2011-29298"),
        (2, "Bygningsvedligeholdelse 2013 - anlægsbevilling", "2012-28504"),
        (3, "Kvalitetsstandarder for stof- og alkoholbehandling 2012-2013", "2012-31114"),
        (4, "Takstreduktion på aflastningstilbuddet Torvevej i Skovlunde i 2013", "2012-31673"),
        (5, "KL's opfølgningsproces vedrørende det nære sundhedsvæsen", "2011-29939"),
        (
            6,
            "Prioritering af midler til kronisk syge borgere og hverdagsrehabilitering for ældre",
            "2012-21786",
        ),
        (7, "Etablering af aktivitetscenter på Solvej 6 i Ballerup", "2012-28505"),
        (8, "Evaluering af rygestopkurser", "2010-3082"),
    ]
    assert not any(entry.closed for entry in meeting.items)
    for entry in meeting.items:
        (decision,) = entry.decisions
        assert (decision.body, decision.date) == (
            "Sundheds- og Forebyggelsesudvalget",
            "2012-12-04",
        )
    assert item(meeting, 3).decisions[0].text.startswith("Indstilles til godkendelse")
    assert item(meeting, 8).decisions[0].text.startswith("Taget til efterretning")
    assert (
        "Gruppen af unge i Ballerup Kommune også får adgang" in item(meeting, 7).decisions[0].text
    )
    tariffs = sections(item(meeting, 4))
    assert "Sundheds- og Forebyggelsesudvalget den 30. maj 2012 Punkt 7" in tariffs["Sagsforløb"]
    assert tariffs["Økonomi"].startswith("Taksten for 2013 sænkes med 2 pct.")
    assert sections(item(meeting, 3))["Sagsprocedure"] == "Kommunalbestyrelsen"


def test_sbsys_agenda_without_decisions() -> None:
    meeting = real(SBSYS_AGENDA)
    assert (meeting.body, meeting.meeting_date, meeting.start_time) == (
        "KMB IT-udvalget",
        "2013-05-15",
        "16:30",
    )
    assert meeting.location == "Mødecenter A, Lokale 3 på Ballerup Rådhus"
    assert meeting.municipality == "Ballerup"
    assert len(meeting.participants) == 11
    assert [(e.number, e.title) for e in meeting.items] == [
        (1, "Meddelelser"),
        (2, "Oplæg til standard it-arbejdsplads for Kommunalbestyrelsens medlemmer i 2014-2018"),
        (3, "Indførelse af systemet SAPA (Sagsoverblik/Partskontakt)"),
        (4, "Regler for indkøb af it-udstyr"),
        (5, "Status på eDagsorden"),
    ]
    # An agenda: every decision field is empty, and an empty field is no decision.
    assert all(entry.decisions == () for entry in meeting.items)
    assert all(entry.case_number is None and not entry.closed for entry in meeting.items)
    assert item(meeting, 1).sections == ()
    workplace = sections(item(meeting, 2))
    assert workplace["Sagsforløb"] == "KMB IT-udvalget den 5. december 2012 Punkt 3"
    assert workplace["Sagsprocedure"] == "KMB IT-udvalget"
    assert workplace["Økonomi"] == "Opgøres ikke i nuværende sag."


def test_sbsys_region_with_upper_case_headings() -> None:
    meeting = real(SBSYS_REGION)
    assert (meeting.body, meeting.meeting_date, meeting.start_time, meeting.location) == (
        "Forretningsudvalget",
        "2012-09-25",
        "15:30",
        "H2",
    )
    assert len(meeting.participants) == 15
    assert [(e.number, e.title) for e in meeting.items] == [
        (1, "2. behandling af forslag til styrelsesvedtægt – nedsættelse af stående udvalg"),
        (2, "Anvendelse af beløb til hospitalsudstyr og patientnære arealer"),
        (3, "Særpublikation og konference om infrastruktur og vækst"),
        (
            4,
            "Anmodning fra Hans Toft (C) om offentliggørelse af beslutning truffet af Movias"
            " bestyrelse",
        ),
    ]
    statutes = item(meeting, 1)
    (earlier,) = statutes.decisions
    assert (earlier.body, earlier.date) == ("Forretningsudvalget", "2012-09-18")
    assert earlier.text.startswith("Sagen udsat til behandling på ekstraordinært")
    assert "Julie Herdal Molbech (F) deltog ikke i sagens behandling." in earlier.text
    named = sections(statutes)
    assert named["Sagsforløb"] == "Forretningsudvalget den 18. september 2012, sag nr. 10"
    assert named["Indstilling"].startswith("at det som bilag vedlagte forslag til styrelsesvedtægt")
    assert named["Sagsprocedure"] == "Regionsrådet."
    assert named["Kommunikation"] == "Ingen særskilt kommunikationsindsats planlagt."
    assert item(meeting, 3).decisions == ()  # "Tomt indhold"
    # Item 4 quotes Movia's protocol ("Beslutning: ..."): not a decision of this meeting.
    assert item(meeting, 4).decisions == ()
    quoted = " ".join(section.text for section in item(meeting, 4).sections)
    assert "Beslutning:\n\nBestyrelsen stemte om indstillingens første punkt." in quoted
